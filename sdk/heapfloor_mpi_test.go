package mpichan_test

import (
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"unsafe"

	mpichan "github.com/mpichan/mpichan/sdk"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// TestHeapFloor: after Init the collector's goal is at least twice the
// floor, and the floor takes no memory: the kernel has mapped almost none
// of its pages.
func TestHeapFloor(t *testing.T) {
	mpitest.Run(t, 1, func(t *testing.T) { checkHeapFloor(t, mpichan.HeapFloor()) })
}

func checkHeapFloor(t *testing.T, heapFloor []byte) {
	if len(heapFloor) == 0 {
		t.Skip("no heap floor: the environment tunes the collector or turns the floor off")
	}
	runtime.GC()
	goal := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(goal)
	if g := goal[0].Value.Uint64(); g < 2*uint64(len(heapFloor)) {
		t.Errorf("heap goal %d bytes after GC, want at least twice the %d-byte floor", g, len(heapFloor))
	}
	page := syscall.Getpagesize()
	start := uintptr(unsafe.Pointer(unsafe.SliceData(heapFloor)))
	start -= start % uintptr(page)
	pages := (uintptr(len(heapFloor)) + uintptr(unsafe.Pointer(unsafe.SliceData(heapFloor))) - start + uintptr(page) - 1) / uintptr(page)
	vec := make([]byte, pages)
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, start, pages*uintptr(page), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore: %v", e)
	}
	resident := 0
	for _, v := range vec {
		resident += int(v & 1)
	}
	if resident > len(vec)/8 {
		t.Errorf("%d of the floor's %d pages are resident, want almost none", resident, len(vec))
	}
}
