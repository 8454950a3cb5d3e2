# Shim: Ruby 1.8's `parsedate` library, which SAFTest requires:
# ParseDate.parsedate(text) gives [year, mon, mday, hour, min, sec, zone, wday],
# nil where the text has no such part. Built on Date._parse.
require 'date'

module ParseDate
  module_function

  def parsedate(text, complete_year = false)
    h = Date._parse(text, complete_year)
    [h[:year], h[:mon], h[:mday], h[:hour], h[:min], h[:sec], h[:zone], h[:wday]]
  end
end
