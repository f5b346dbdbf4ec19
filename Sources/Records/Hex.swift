import PostgresClient

/// Lowercase hexadecimal text of bytes, and the value of one hex digit.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        lowercaseHex(bytes)
    }

    /// 0–15 for an ASCII hex digit (either case); nil for anything else.
    public static func value(of character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
