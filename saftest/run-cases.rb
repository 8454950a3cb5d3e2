# Runs the cases of SAFTest bundles once each, in order, and counts them:
#   ruby run-cases.rb SAFTEST_ROOT LOG_DIR TIMEOUT BUNDLE.xml...
# The first bundle is SAFTest's own (driver start and stop), the others a service's.
# Its engine runs the main cases at random until stopped; a conformance run wants each
# once: the initial cases of every bundle, then the main cases, then the final cases in
# reverse bundle order. A case passes with status 0; 2 (skipped) and 3 (not configured)
# are counted apart; anything else, a timeout included, fails. Prints one line per case
# and ends with "N passed, M failed" (", K skipped").
require 'rexml/document'
require 'timeout'

root, log_dir, limit, *bundles = ARGV
abort 'usage: run-cases.rb SAFTEST_ROOT LOG_DIR TIMEOUT BUNDLE.xml...' if bundles.empty?
limit = limit.to_i

Case = Struct.new(:name, :cmd)

def cases_of(path, type)
  doc = REXML::Document.new(File.read(path))
  list = doc.get_elements('//SAFTestCaseList').find { |l| l.attributes['type'] == type }
  return [] unless list
  list.get_elements('SAFTestCase').map do |c|
    Case.new(c.elements['name'].text.to_s.strip, c.elements['cmd'].text.to_s.strip)
  end
end

order = bundles.flat_map { |b| cases_of(b, 'initial') } +
        bundles.flat_map { |b| cases_of(b, 'main') } +
        bundles.reverse.flat_map { |b| cases_of(b, 'final') }

counts = Hash.new(0)
order.each_with_index do |c, n|
  log = File.join(log_dir, format('%03d-%s.log', n + 1, c.name))
  script = File.join(root, 'cases', c.cmd)
  script += '.rb' if !File.exist?(script) && File.exist?(script + '.rb')
  started = Time.now
  pid = Process.spawn('ruby', script, in: File::NULL, out: log, err: [:child, :out], pgroup: true)
  status = begin
    Timeout.timeout(limit) { Process.wait2(pid)[1] }
  rescue Timeout::Error
    Process.kill('KILL', -pid) rescue nil
    Process.wait(pid) rescue nil
    nil
  end
  code = status && status.exitstatus
  verdict = case code
            when 0 then :passed
            when 2, 3 then :skipped
            else :failed
            end
  counts[verdict] += 1
  why = code.nil? ? "timed out after #{limit} s" : "status #{code}"
  line = format('%-7s %-50s %5.1f s', verdict.to_s.upcase, c.name, Time.now - started)
  line += "  (#{why}; #{log})" unless verdict == :passed
  puts line
  $stdout.flush
end
summary = "#{counts[:passed]} passed, #{counts[:failed]} failed"
summary += ", #{counts[:skipped]} skipped" if counts[:skipped] > 0
puts summary
exit(counts[:failed].zero? ? 0 : 1)
