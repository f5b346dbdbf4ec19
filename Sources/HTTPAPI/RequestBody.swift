import Foundation
import Hummingbird
import JSONSupport
import NIOCore

extension Request {
    /// Reads a JSON body into `Body`: 413 past the context's size limit; 400 naming the field at
    /// fault when the JSON does not fit, when a text holds NUL or control characters, or when the
    /// body has a field the route does not know (a typo would otherwise be ignored silently).
    func decodeJSON<Body: Decodable>(as type: Body.Type, context: APIRequestContext) async throws -> Body {
        try Self.decode(Body.self, from: try await collectedBody(context), context: context)
    }

    /// As `decodeJSON`, but an empty body is nil (a route whose fields are all optional).
    func decodeOptionalJSON<Body: Decodable>(as type: Body.Type, context: APIRequestContext) async throws -> Body? {
        let data = try await collectedBody(context)
        return data.isEmpty ? nil : try Self.decode(Body.self, from: data, context: context)
    }

    private func collectedBody(_ context: APIRequestContext) async throws -> Data {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than \(context.maxUploadSize / 1024) KiB")
        }
        return Data(buffer.readableBytesView)
    }

    private static func decode<Body: Decodable>(_ type: Body.Type, from data: Data, context: APIRequestContext) throws -> Body {
        guard let document = try? JSONValue(jsonText: String(decoding: data, as: UTF8.self), rejectingRepeatedKeys: true) else {
            throw APIError(.badRequest, code: "invalid_json", "the body is not valid JSON (an object may not repeat a key)")
        }
        try BodyInspector.checkText(document)
        let decoded: Body
        do {
            decoded = try context.requestDecoder.decode(Body.self, from: data)
        } catch let error as DecodingError {
            throw ErrorEnvelopeMiddleware<APIRequestContext>.decoding(error)
        }
        try BodyInspector.checkFields(document, against: decoded)
        return decoded
    }
}

/// Checks a JSON body beyond what `Decodable` does.
enum BodyInspector {
    /// Fields whose text may span lines (a private key, a description); every other text is one line.
    static let multiLineFields: Set<String> = ["credential", "description"]

    /// Refuses NUL and control characters in every text (keys too), and line breaks and tabs outside
    /// `multiLineFields`: C code would cut a NUL short, and a control character in a name, path or
    /// cron field is never meant.
    static func checkText(_ value: JSONValue, path: String = "", field: String = "") throws {
        switch value {
        case .string(let text):
            let multiLine = multiLineFields.contains(field)
            for scalar in text.unicodeScalars where isForbidden(scalar, multiLine: multiLine) {
                let name = path.isEmpty ? "body" : path
                let what = scalar == "\0" ? "a NUL character" : "a control character (U+\(String(format: "%04X", scalar.value)))"
                throw APIError.validation(name, "\(name) contains \(what); remove it")
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() { try checkText(element, path: "\(path).\(index)", field: field) }
        case .object(let members):
            for (key, member) in members {
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                if key.unicodeScalars.contains(where: { isForbidden($0, multiLine: false) }) {
                    throw APIError.validation("body", "a field name contains a NUL or control character")
                }
                try checkText(member, path: memberPath, field: key)
            }
        default:
            return
        }
    }

    static func isForbidden(_ scalar: Unicode.Scalar, multiLine: Bool) -> Bool {
        if multiLine, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
        return scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// Refuses object members the decoded type has no property for. The request bodies are plain
    /// structs whose JSON keys are their property names, so the decoded value's mirror lists what
    /// the route knows; nested structs are checked the same way.
    static func checkFields(_ value: JSONValue, against decoded: Any, path: String = "") throws {
        guard case .object(let members) = value, let known = properties(of: decoded) else { return }
        for key in members.keys.sorted() {
            let memberPath = path.isEmpty ? key : "\(path).\(key)"
            guard let property = known[key] else {
                let accepted = known.keys.sorted().joined(separator: ", ")
                throw APIError.validation(memberPath, "\(memberPath) is not a field of this request; accepted: \(accepted)")
            }
            if let member = members[key], let property { try checkFields(member, against: property, path: memberPath) }
        }
    }

    /// A struct's stored properties by name (a property wrapper's `_name` as `name`), each unwrapped
    /// from its optional; nil for anything that is not a struct (JSONValue, arrays, scalars).
    static func properties(of value: Any) -> [String: Any?]? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return properties(of: wrapped)
        }
        guard mirror.displayStyle == .struct, !(value is JSONValue) else { return nil }
        var result: [String: Any?] = [:]
        for child in mirror.children {
            guard var label = child.label else { continue }
            if label.hasPrefix("_") { label.removeFirst() }
            let childMirror = Mirror(reflecting: child.value)
            if childMirror.displayStyle == .optional {
                // `.some`: assigning a nil `Any?` would remove the key, and an unset field would
                // vanish from the list of accepted ones.
                result[label] = .some(childMirror.children.first?.value)
            } else {
                result[label] = .some(child.value)
            }
        }
        return result
    }
}
