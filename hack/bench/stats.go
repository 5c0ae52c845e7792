package main

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// percentile is the nearest-rank percentile p (0 < p <= 100) of the samples: the smallest
// sample at or below which p per cent of them lie. Zero for no samples.
func percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 || p <= 0 {
		return 0
	}
	sorted := slices.Clone(samples)
	slices.Sort(sorted)
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// perItem divides a count by the number of relying parties (or changes) it was spent on.
func perItem(count float64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return count / float64(n)
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortBy sorts list in place by less.
func sortBy[T any](list []T, less func(a, b T) bool) {
	slices.SortFunc(list, func(a, b T) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}

// formatCount prints a count without a fraction when it has none.
func formatCount(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// formatSeconds prints seconds with one decimal, or two below ten.
func formatSeconds(s float64) string {
	if s < 10 {
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + " s"
}
