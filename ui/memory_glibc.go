//go:build linux && cgo

package ui

/*
#include <features.h>
#ifdef __GLIBC__
#include <malloc.h>
static void trim_c_heap(void) { malloc_trim(0); }
#else
static void trim_c_heap(void) {}
#endif
*/
import "C"

// trimCHeap gives the C heap's free pages back to the system. The GL
// driver (Mesa's llvmpipe under Xvfb, and most drivers' texture uploads)
// mallocs and frees a texture for every text drawn; glibc keeps freed
// memory inside its heaps unless it lies at the very top, so after a long
// session the window held tens of MB of free C memory (malloc_trim(0)
// releases the free pages anywhere in every arena, since glibc 2.8).
func trimCHeap() { C.trim_c_heap() }
