#ifndef EMDIAG_CARCHIVE_SHIM_H
#define EMDIAG_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// Cast macros are not imported into Swift; re-export the file-type constants emdiag checks.
static const unsigned int CArchive_AE_IFREG = AE_IFREG;
static const unsigned int CArchive_AE_IFDIR = AE_IFDIR;
static const unsigned int CArchive_AE_IFLNK = AE_IFLNK;
static const unsigned int CArchive_AE_IFMT = AE_IFMT;

#endif
