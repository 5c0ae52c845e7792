package main

import (
	"context"
	"sync"
)

// forEach runs fn(i) for i in [0, n) on workers goroutines and returns the first error, after
// which no new item starts.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	items := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range items {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case items <- i:
		case <-ctx.Done():
		}
	}
	close(items)
	wg.Wait()
	return context.Cause(ctx)
}
