# Reads DISPLAY_CLUSTER's XML (standard input) the way SAFTest's cluster reader does,
# through the xmlparser shim it would load (saftest/ruby), and prints one line per node:
#   ID NAME MEMBER BOOT_TIMESTAMP INITIAL_VIEW FAMILY LENGTH VALUE
# SAFTest's reader (SAFClusterImplementation#loadFromXML) keeps the name of the element
# last opened and reads character data by it; a <SAFNode> start begins a node and its
# end keeps it; an address is begun by the text that follows <Address>, filled by the
# family, length and value texts and kept at </Address>; every end tag forgets the
# element. Anything else it does not know it ignores. The same rules here, so that a
# document this reader gets wrong would be one SAFTest gets wrong.
require 'xmlparser'

nodes = []
node = address = element = nil
XML::Parser.new.parse($stdin.read) do |type, name, data|
  case type
  when XML::Parser::START_ELEM
    raise 'empty start tag' if name.empty?
    if name == 'SAFNode'
      node = { 'addresses' => [] }
    else
      element = name
    end
  when XML::Parser::CDATA
    case element
    when 'id', 'bootTimestamp', 'initialViewNumber' then node[element] = data.to_i
    when 'name' then node['name'] = data
    when 'member'
      raise "member is #{data.inspect}, neither TRUE nor FALSE" unless %w[TRUE FALSE].include?(data)
      node['member'] = data
    when 'Address' then address = {}
    when 'family', 'length', 'value'
      raise "<#{element}> outside an address" if address.nil?
      address[element] = data
    end
  when XML::Parser::END_ELEM
    case name
    when 'SAFNode'
      nodes << node
      node = nil
    when 'Address'
      node['addresses'] << address
      address = nil
    end
    element = nil
  end
end

nodes.each do |n|
  a = n['addresses'].first or raise "node #{n['name']} has no address"
  puts [n['id'], n['name'], n['member'], n['bootTimestamp'], n['initialViewNumber'],
        a['family'], a['length'], a['value']].join(' ')
end
