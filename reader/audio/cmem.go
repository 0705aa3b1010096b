package audio

// #include <stdlib.h>
import "C"

import "unsafe"

// cfree releases C memory that malgo allocated for us (DeviceID.Pointer uses C.CBytes).
func cfree(p unsafe.Pointer) { C.free(p) }
