#ifndef CAPSTAN_CGIT2_SHIM_H
#define CAPSTAN_CGIT2_SHIM_H
#include <git2.h>
#endif
