#ifndef MEDICINEMAN_CLIBPQ_SHIM_H
#define MEDICINEMAN_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
