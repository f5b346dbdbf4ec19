import CLibSSH2

/// libssh2 must be initialised once per process before any session exists.
enum LibSSH2 {
    static let isReady: Bool = libssh2_init(0) == 0
}
