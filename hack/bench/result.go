package main

import "time"

// result is everything measured at one N.
type result struct {
	n       int
	latency time.Duration
	workers int

	// The floor, measured before the manager starts and again after the spec changes with the
	// manager stopped: the machine's speed drifts over a run (the same 1000 key generations took
	// 23 to 41 s over one day), and the mean of the two brackets the apply.
	floor, floorAfter floorResult

	// Applying n relying parties until all are Ready.
	toReady         time.Duration
	readyCalls      fakeCounts
	readyRequests   requestCounts
	readyReconciles float64
	readyErrors     float64
	readyCPU        cpuUse
	readyMemory     memoryFigure

	touch, restart resyncResult
	changes        changeResult

	// The memory comparison (zero when skipped): the restarted manager's figure is the
	// baseline; withUnrelated is the same restart with the unrelated objects in the cluster.
	unrelated       int
	unrelatedCreate time.Duration
	liveGrowthMiB   float64 // the running manager's RSS growth while they were created
	withUnrelated   resyncResult
}

// memoryFigure is the manager's memory at the end of a phase.
type memoryFigure struct {
	peakMiB, rssMiB, heapMiB float64
}

// resyncResult is one pass over every relying party that should change nothing.
type resyncResult struct {
	took       time.Duration
	calls      fakeCounts
	requests   requestCounts
	reconciles float64
	memory     memoryFigure
	flaps      int // relying parties seen going from Ready to not Ready meanwhile
}

// changeResult is the spec changes timed one at a time.
type changeResult struct {
	samples  []time.Duration
	calls    fakeCounts
	requests requestCounts
}

// floorTotal is the floor the apply is compared with: the mean of both measurements, or the
// first alone when the second was not taken.
func (r *result) floorTotal() time.Duration {
	if r.floorAfter.total() == 0 {
		return r.floor.total()
	}
	return (r.floor.total() + r.floorAfter.total()) / 2
}

// floorCPU is the floor's CPU time of the named processes, averaged the same way.
func (r *result) floorCPU(names ...string) float64 {
	if r.floorAfter.total() == 0 {
		return r.floor.cpu.total(names...)
	}
	return (r.floor.cpu.total(names...) + r.floorAfter.cpu.total(names...)) / 2
}
