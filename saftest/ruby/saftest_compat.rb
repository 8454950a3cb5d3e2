# Loaded into every Ruby process of a SAFTest run (RUBYOPT=-rsaftest_compat, set by
# saftest/run.sh): what SAFTest, written for Ruby 1.8, uses and newer Rubies removed.
# The libraries it requires by name (xmlparser, parsedate) are the files beside this one.

# File.exists? and its kin were removed in Ruby 3.2.
class << File
  alias_method :exists?, :exist? unless method_defined?(:exists?)
end
class << FileTest
  alias_method :exists?, :exist? unless method_defined?(:exists?)
end
class << Dir
  alias_method :exists?, :exist? unless method_defined?(:exists?)
end

# Process::Status#>> (the 1.8 way to get an exit status from $?) is deprecated since 3.3.
class Process::Status
  unless method_defined?(:>>)
    def >>(bits)
      to_i >> bits
    end
  end
end
