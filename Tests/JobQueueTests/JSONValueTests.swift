@testable import JobQueue
@testable import JSONSupport
import Testing

@Suite struct JSONValueTests {
    @Test(arguments: [
        #"{"a":1,"s":"h\u00e9llo","n":null,"t":true,"f":false,"d":1.5,"e":-2e3,"list":[1,"x",{"k":[]}]}"#,
        #"42"#, #""text""#, #"[]"#, #"{}"#, #"-0.25"#, #""\ud83d\ude80 \"q\" \\ \/ \n""#,
    ])
    func parsesWhatPythonAndLuaWrite(text: String) throws {
        let value = try JSONValue(jsonText: text)
        #expect(try JSONValue(jsonText: value.jsonText) == value)
    }

    @Test func keepsIntegersExactAndEscapesControlCharacters() throws {
        #expect(try JSONValue(jsonText: "9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONValue(jsonText: #""h\u00e9llo""#) == "héllo")
        #expect(JSONValue.string("a\u{01}b\"c").jsonText == #""a\u0001b\"c""#)
        #expect(JSONValue.object(["b": 1, "a": [true, .null]]).jsonText == #"{"a":[true,null],"b":1}"#)
        #expect(JSONValue.double(2.0).jsonText == "2")
    }

    @Test(arguments: ["", "{", #"{"a"}"#, "[1,]", "tru", #""unterminated"#, "01x", "{\"a\":1}x", "\"\u{01}\""])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSONError.self) { try JSONValue(jsonText: text) }
    }

    @Test func optionsRoundTripThroughBullMQShape() throws {
        let options = JobOptions(
            jobId: "job-a", priority: 3, delay: 10, attempts: 4, backoff: .exponential(500), lifo: true,
            removeOnComplete: .count(10), removeOnFail: .policy(age: 3600, count: 5, limit: nil),
            deduplication: .init(id: "d", ttl: 5000, extend: true), timeout: 9000, extra: ["foreign": "kept"])
        let json = options.json
        #expect(json["de"] == ["id": "d", "ttl": 5000, "extend": true])
        #expect(JobOptions(json: try JSONValue(jsonText: json.jsonText)) == options)
        #expect(JobOptions(json: ["backoff": 250]).backoff == .fixed(250))
        #expect(JobOptions(json: "garbage").maxAttempts == 1)
    }
}
