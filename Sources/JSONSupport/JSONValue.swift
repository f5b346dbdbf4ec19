import Foundation

/// Any JSON document: job data, options, results, progress, scan summaries and metadata.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): return Int(exactly: value)
        case .double(let value): return Int(exactly: value)
        case .string(let text): return Int(text)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

extension JSONValue {
    /// Numbers compare by value: `2`, `2.0` and `2e0` are the same JSON number.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default:
            if let a = lhs.doubleValue, let b = rhs.doubleValue { return a == b }
            return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(flag)
        case .int(let integer): hasher.combine(Double(integer))
        case .double(let number): hasher.combine(number)
        case .string(let text): hasher.combine(text)
        case .array(let elements): hasher.combine(elements)
        case .object(let members): hasher.combine(members)
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let integer = try? container.decode(Int64.self) {
            self = .int(integer)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let elements = try? container.decode([JSONValue].self) {
            self = .array(elements)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .int(let integer): try container.encode(integer)
        case .double(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .array(let elements): try container.encode(elements)
        case .object(let members): try container.encode(members)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// Parses JSON text; fragments (`42`, `"text"`) are allowed, as BullMQ writes them. An
    /// object that repeats a key keeps the last copy (as Lua's cjson and JavaScript read it), or,
    /// `rejectingRepeatedKeys`, is refused: for a request body that `JSONDecoder`, which keeps the
    /// first copy, also reads, so no check can be passed by the other copy.
    public init(jsonText: String, rejectingRepeatedKeys: Bool = false) throws(JSONError) {
        do {
            self = try JSONParser.parse(jsonText, rejectingRepeatedKeys: rejectingRepeatedKeys)
        } catch {
            throw JSONError(message: "not valid JSON: \(jsonText.prefix(80))")
        }
    }

    /// Encodes any `Encodable` value as a JSON document.
    public init(encoding value: some Encodable) throws(JSONError) {
        do {
            let data = try JSONEncoder().encode(value)
            self = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw JSONError(message: "cannot encode \(type(of: value)) as JSON: \(error)")
        }
    }

    /// Decodes the document into a `Decodable` type.
    public func decode<Value: Decodable>(as type: Value.Type = Value.self) throws(JSONError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(jsonText.utf8))
        } catch {
            throw JSONError(message: "cannot decode \(Value.self) from \(jsonText.prefix(120)): \(error)")
        }
    }
}

/// JSON text that could not be read or written.
public struct JSONError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
