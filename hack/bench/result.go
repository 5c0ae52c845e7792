package main

import "time"

// result is everything measured at one N.
type result struct {
	n       int
	latency time.Duration
	workers int

	floor floorResult

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
