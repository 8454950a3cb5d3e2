# The Ruby shims behave as the Ruby 1.8 libraries SAFTest calls did (run with
# RUBYLIB=saftest/ruby RUBYOPT=-rsaftest_compat, as saftest/run.sh runs SAFTest).
require 'xmlparser'
require 'parsedate'

def check(what, got, want)
  raise "#{what}: got #{got.inspect}, want #{want.inspect}" unless got == want
end

# xmlparser: start (with attributes), text (entities resolved) and end events in order.
events = []
XML::Parser.new.parse(%(<?xml version="1.0"?>\n<a k="v"><b>x &amp; y</b></a>)) { |*e| events << e }
check 'xmlparser events', events.reject { |t, _, d| t == XML::Parser::CDATA && d.strip.empty? },
      [[XML::Parser::START_ELEM, 'a', { 'k' => 'v' }], [XML::Parser::START_ELEM, 'b', {}],
       [XML::Parser::CDATA, nil, 'x & y'], [XML::Parser::END_ELEM, 'b', nil], [XML::Parser::END_ELEM, 'a', nil]]
# Malformed input raises XMLParserError, which SAFTest rescues, and the parser keeps #line.
parser = XML::Parser.new
begin
  parser.parse("<a>\n<b></a>") {}
  raise 'xmlparser accepted mismatched tags'
rescue XMLParserError
  check 'xmlparser line', parser.line.is_a?(Integer), true
end
# parsedate: [year, mon, mday, hour, min, sec, zone, wday].
check 'parsedate', ParseDate.parsedate('2006-03-14 09:26:53'), [2006, 3, 14, 9, 26, 53, nil, nil]
# File.exists? and kin, removed in Ruby 3.2.
check 'File.exists?', [File.exists?('/'), FileTest.exists?('/nonexistent'), Dir.exists?('/')], [true, false, true]
puts 'saftest-check: ruby shims ok'
