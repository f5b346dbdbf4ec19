// sync_file_range(2) is a GNU extension the Swift Glibc module does not declare.
#ifndef MEDICINEMAN_CFILESYNC_SHIM_H
#define MEDICINEMAN_CFILESYNC_SHIM_H

extern int sync_file_range(int fd, long long offset, long long nbytes, unsigned int flags);

/// Starts writing back `length` bytes from `offset` without waiting for them (SYNC_FILE_RANGE_WRITE),
/// so a later fsync finds little left to write.
static inline int mm_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, 2u);
}

#endif
