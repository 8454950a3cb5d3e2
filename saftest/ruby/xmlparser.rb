# Shim: the `xmlparser` library SAFTest requires (the expat binding for Ruby 1.8, long
# gone from Ruby distributions), as far as SAFTest uses it: XML::Parser.new,
# parse(text) { |type, name, data| } with START_ELEM (data: the attributes), CDATA
# (data: the text) and END_ELEM events, #line, and XMLParserError. Built on REXML,
# which ships with Ruby. Loaded by saftest/run.sh through RUBYLIB; SAFTest is not edited.
require 'rexml/parsers/baseparser'
require 'rexml/source'
require 'rexml/text'

class XMLParserError < StandardError; end

module XML
  class Parser
    START_ELEM = 1
    END_ELEM = 2
    CDATA = 3
    PI = 4
    COMMENT = 5
    Error = XMLParserError

    attr_reader :line

    def initialize(*)
      @line = 1
    end

    def parse(text, _is_final = true)
      base = REXML::Parsers::BaseParser.new(text)
      loop do
        event = base.pull
        case event[0]
        when :end_document
          break
        when :start_element
          yield START_ELEM, event[1], event[2]
        when :end_element
          yield END_ELEM, event[1], nil
        when :text
          @line += event[1].count("\n")
          yield CDATA, nil, REXML::Text.unnormalize(event[1])
        when :cdata
          @line += event[1].count("\n")
          yield CDATA, nil, event[1]
        when :processing_instruction
          yield PI, event[1], event[2]
        when :comment
          yield COMMENT, nil, event[1]
        end
      end
      self
    rescue REXML::ParseException => e
      @line = e.line if e.respond_to?(:line) && e.line
      raise XMLParserError, e.message.lines.first.to_s.chomp
    end
  end
end
