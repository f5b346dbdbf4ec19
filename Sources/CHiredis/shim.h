#ifndef MEDICINEMAN_CHIREDIS_SHIM_H
#define MEDICINEMAN_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
