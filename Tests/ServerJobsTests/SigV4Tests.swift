import Foundation
@testable import ServerJobs
import Testing

/// AWS's published Signature Version 4 examples: the general test suite (service "service",
/// 30 August 2015) and the S3 documentation's (24 May 2013).
@Suite struct SigV4Tests {
    static let suite = SigV4Signer(
        accessKeyId: "AKIDEXAMPLE", secret: ObjectStoreSecret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let s3 = SigV4Signer(
        accessKeyId: "AKIAIOSFODNN7EXAMPLE", secret: ObjectStoreSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    static let suiteScope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    static let s3Scope = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "

    @Test func theGeneralSuitesVanillaRequests() {
        #expect(SigV4Signer.timestamp(Self.suiteDate) == "20150830T123600Z")
        #expect(
            Self.suite.authorization(
                method: "GET", host: "example.amazonaws.com", path: "/", query: [], headers: [], payloadHash: Self.empty,
                date: Self.suiteDate)
                == Self.suiteScope + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(
            Self.suite.authorization(
                method: "GET", host: "example.amazonaws.com", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
                headers: [], payloadHash: Self.empty, date: Self.suiteDate)
                == Self.suiteScope + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        #expect(
            Self.suite.authorization(
                method: "POST", host: "example.amazonaws.com", path: "/", query: [], headers: [], payloadHash: Self.empty,
                date: Self.suiteDate)
                == Self.suiteScope + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
    }

    @Test func theS3DocumentationsExamples() {
        // GET Object with a range.
        #expect(
            Self.s3.authorization(
                method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                headers: [("Range", "bytes=0-9"), ("x-amz-content-sha256", Self.empty)], payloadHash: Self.empty, date: Self.s3Date)
                == Self.s3Scope + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        // PUT Object: a key with `$`, a Date header, a signed payload.
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        #expect(
            Self.s3.authorization(
                method: "PUT", host: "examplebucket.s3.amazonaws.com", path: "/" + SigV4Signer.encode("test$file.text", keepSlash: true),
                query: [],
                headers: [
                    ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                    ("x-amz-content-sha256", payload),
                ], payloadHash: payload, date: Self.s3Date)
                == Self.s3Scope + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
        // GET Bucket lifecycle (a query name alone) and a listing (query values).
        #expect(
            Self.s3.authorization(
                method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [("lifecycle", "")],
                headers: [("x-amz-content-sha256", Self.empty)], payloadHash: Self.empty, date: Self.s3Date)
                == Self.s3Scope + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
        #expect(
            Self.s3.authorization(
                method: "GET", host: "examplebucket.s3.amazonaws.com", path: "/", query: [("max-keys", "2"), ("prefix", "J")],
                headers: [("x-amz-content-sha256", Self.empty)], payloadHash: Self.empty, date: Self.s3Date)
                == Self.s3Scope + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(SigV4Signer.encode("a b/c~d+e$é", keepSlash: true) == "a%20b/c~d%2Be%24%C3%A9")
        #expect(SigV4Signer.encode("a/b") == "a%2Fb")
    }

    @Test func settingsRefuseMalformedValuesAndNeverPrintTheSecret() throws {
        let secret = "s3cr3t+Value/With=Signs"
        let settings = try ObjectStoreSettings(endpoint: "http://127.0.0.1:9000", bucket: "backups", accessKeyId: "AKID", secretAccessKey: secret, prefix: "team/a")
        #expect(settings.prefix == "team/a/")
        #expect(!"\(settings)".contains(secret) && !String(reflecting: settings).contains(secret))
        for prefix in ["../x", "a/../b", "/abs", "a//b", "a b", "a/./b"] {
            #expect(throws: ServerJobError.self, "\(prefix)") {
                try ObjectStoreSettings(endpoint: "http://127.0.0.1:9000", bucket: "backups", accessKeyId: "AKID", secretAccessKey: secret, prefix: prefix)
            }
        }
        for endpoint in ["ftp://host", "http://host/path", "http://user:pw@host", "not a url"] {
            #expect(throws: ServerJobError.self, "\(endpoint)") {
                try ObjectStoreSettings(endpoint: endpoint, bucket: "backups", accessKeyId: "AKID", secretAccessKey: secret)
            }
        }
        #expect(throws: ServerJobError.self) { try ObjectStoreSettings(endpoint: "http://h", bucket: "Bad_Bucket", accessKeyId: "AKID", secretAccessKey: secret) }
    }
}
