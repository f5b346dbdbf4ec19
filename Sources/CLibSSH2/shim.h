#ifndef MEDICINEMAN_CLIBSSH2_SHIM_H
#define MEDICINEMAN_CLIBSSH2_SHIM_H
#include <libssh2.h>
#endif
