extension RestoreTarget {
    /// Prefix of a drill's scratch directory's name (`~/.medicineman-restore/drill-<id>.XXXXXXXXXX`).
    static let drillLabelPrefix = "drill-"

    /// `$1`: the canonical directory. Lists every entry below it (`find -printf`, NUL-separated
    /// fields: type, size, permission bits, mtime, link target, path), then a `#content` field,
    /// then `sha256sum -z` of every regular file. Unreadable files are left out of the second
    /// part (the drill reports them); a failing `find` fails the command.
    static let listScript =
        fail + #"""

            d=$1
            cd -- "$d" || fail 95 "cannot enter $d"
            [ "$(pwd -P)" = "$d" ] || fail 93 "$d changed since it was checked"
            find . -mindepth 1 -printf '%y\0%s\0%m\0%T@\0%l\0%P\0' || fail 97 "cannot list $d"
            printf '#content\0'
            find . -type f -exec sha256sum -z -- {} + 2>/dev/null
            exit 0
            """#

    /// `$1`: a drill's canonical scratch directory. Removes it, only when it is a directory
    /// `drill-*` directly in the user's `~/.medicineman-restore` (checked after resolving both);
    /// permissions are opened first, since a restored directory may be read-only.
    static let removeScript =
        fail + #"""

            d=$1
            case ${HOME:-} in /?*) ;; *) fail 96 "the SSH user has no absolute HOME";; esac
            b=$(cd -- "$HOME/.medicineman-restore" && pwd -P) || fail 96 "cannot enter $HOME/.medicineman-restore"
            case $d in "$b"/drill-*) ;; *) fail 93 "$d is not a drill directory in $b";; esac
            case ${d#"$b"/} in */*) fail 93 "$d is not directly in $b";; esac
            [ -e "$d" ] || exit 0
            [ -d "$d" ] && [ ! -L "$d" ] && [ -O "$d" ] || fail 94 "$d is not a directory of $(id -un)"
            chmod -R u+rwx -- "$d" 2>/dev/null
            rm -rf -- "$d" || fail 95 "cannot remove $d"
            """#

    /// Removes the user's `drill-*` directories in `~/.medicineman-restore` unchanged for a day
    /// (left by a drill that was interrupted); none when that directory does not exist.
    static let leftoversScript =
        fail + #"""

            case ${HOME:-} in /?*) ;; *) fail 96 "the SSH user has no absolute HOME";; esac
            [ -d "$HOME/.medicineman-restore" ] || exit 0
            b=$(cd -- "$HOME/.medicineman-restore" && pwd -P) || fail 96 "cannot enter $HOME/.medicineman-restore"
            find "$b" -mindepth 1 -maxdepth 1 -type d -name 'drill-*' -user "$(id -u)" -mmin +1440           -exec chmod -R u+rwx -- {} + -exec rm -rf -- {} + || fail 95 "cannot remove old drill directories in $b"
            """#
}
