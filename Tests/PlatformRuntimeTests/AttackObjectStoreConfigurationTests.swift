import Foundation
import PlatformRuntime
import ServerJobs
import Testing

/// `BACKUP_STORAGE=s3` and its `S3_*` settings: read in one place, refused with the variable's
/// name when malformed, and the secret never echoed.
@Suite struct AttackObjectStoreConfigurationTests {
    static let secret = "Zm9v+YmFy/c2VjcmV0=KEY"
    static let base = ["BACKUP_STORAGE": "s3", "S3_BUCKET": "fleet-archives", "S3_ACCESS_KEY_ID": "AKIDEXAMPLE", "S3_SECRET_ACCESS_KEY": secret]

    @Test func theDirectoryIsTheDefaultAndS3IsReadWhole() throws {
        #expect(try PlatformConfiguration(environment: [:]).objectStore == nil)
        #expect(try PlatformConfiguration(environment: ["BACKUP_STORAGE": "dir"]).backupStorage().objectStore == nil)
        let aws = try #require(try PlatformConfiguration(environment: Self.base).objectStore)
        #expect(aws.endpoint.absoluteString == "https://s3.us-east-1.amazonaws.com" && !aws.pathStyle && aws.prefix == "medicineman/")
        var environment = Self.base
        environment["S3_ENDPOINT"] = "http://minio.internal:9000"
        environment["S3_REGION"] = "eu-central-1"
        environment["S3_PREFIX"] = "site-a"
        let minio = try #require(try PlatformConfiguration(environment: environment).objectStore)
        #expect(minio.pathStyle && minio.region == "eu-central-1" && minio.prefix == "site-a/" && minio.bucket == "fleet-archives")
        environment["S3_PATH_STYLE"] = "false"
        #expect(try PlatformConfiguration(environment: environment).objectStore?.pathStyle == false)
    }

    @Test func malformedSettingsNameTheirVariableAndNeverTheSecret() {
        let cases: [(String, [String: String])] = [
            ("BACKUP_STORAGE", ["BACKUP_STORAGE": "ftp"]),
            ("S3_BUCKET", Self.base.merging(["S3_BUCKET": ""]) { $1 }),
            ("S3_BUCKET", Self.base.merging(["S3_BUCKET": "../etc"]) { $1 }),
            ("S3_SECRET_ACCESS_KEY", Self.base.merging(["S3_SECRET_ACCESS_KEY": ""]) { $1 }),
            ("S3_SECRET_ACCESS_KEY", Self.base.merging(["S3_SECRET_ACCESS_KEY": Self.secret + " with space"]) { $1 }),
            ("S3_ACCESS_KEY_ID", Self.base.merging(["S3_ACCESS_KEY_ID": "a/b"]) { $1 }),
            ("S3_ENDPOINT", Self.base.merging(["S3_ENDPOINT": "http://evil.example/\(Self.secret)"]) { $1 }),
            ("S3_PREFIX", Self.base.merging(["S3_PREFIX": "../other-tenant"]) { $1 }),
            ("S3_PATH_STYLE", Self.base.merging(["S3_PATH_STYLE": "maybe"]) { $1 }),
            ("S3_REGION", Self.base.merging(["S3_REGION": "us east"]) { $1 }),
        ]
        for (variable, environment) in cases {
            let error = #expect(throws: ConfigurationError.self, "\(variable)") { try PlatformConfiguration(environment: environment) }
            #expect(error?.variable == variable, "\(String(describing: error))")
            #expect(error.map { !"\($0)".contains(Self.secret) } ?? true, "the secret leaked: \(String(describing: error))")
        }
        let settings = try? PlatformConfiguration(environment: Self.base).objectStore
        #expect(settings.map { !"\($0)".contains(Self.secret) && !String(reflecting: $0).contains(Self.secret) } == true)
    }
}
