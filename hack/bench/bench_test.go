package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[99-i] = time.Duration(i+1) * time.Millisecond // 100 ms down to 1 ms: order must not matter
	}
	for _, c := range []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(30, 10, 20), 50, 20 * time.Millisecond},
		{ms(30, 10, 20, 40), 50, 20 * time.Millisecond},
		{ms(30, 10, 20, 40), 100, 40 * time.Millisecond},
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 99.5, 100 * time.Millisecond},
		{hundred, 1, time.Millisecond},
	} {
		if got := percentile(c.samples, c.p); got != c.want {
			t.Errorf("p%v of %v = %v, want %v", c.p, c.samples, got, c.want)
		}
	}
	if hundred[0] != 100*time.Millisecond {
		t.Error("percentile sorted its argument in place")
	}
}

const apiserverMetrics = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 100
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="APPLY",version="v1"} 400
apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="POST",version="v1"} 50
apiserver_request_total{code="200",component="apiserver",dry_run="",group="esignet.openg2p.org",resource="esignetrelyingparties",scope="resource",subresource="status",verb="APPLY",version="v1alpha1"} 1e+02
apiserver_request_total{code="201",component="apiserver",dry_run="",group="esignet.openg2p.org",resource="esignetrelyingparties",scope="resource",subresource="",verb="POST",version="v1alpha1"} 100
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="secrets",scope="resource",subresource="",verb="GET",version="v1"} 600
apiserver_request_total{code="200",component="apiserver",dry_run="",group="coordination.k8s.io",resource="leases",scope="resource",subresource="",verb="PUT",version="v1"} 9
apiserver_request_total{code="201",component="apiserver",dry_run="",group="events.k8s.io",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 300
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="",verb="GET",version=""} 5
apiserver_request_duration_seconds_bucket{verb="GET",le="0.005"} 3
weird_metric{label="a \"quoted\" \\ value, with } brace"} 4 1700000000000
`

func TestParseSamples(t *testing.T) {
	all, err := parseSamples(strings.NewReader(apiserverMetrics))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 12 {
		t.Fatalf("%d samples, want 12", len(all))
	}
	last := all[len(all)-1]
	if last.name != "weird_metric" || last.labels["label"] != `a "quoted" \ value, with } brace` || last.value != 4 {
		t.Fatalf("escaped label: %+v", last)
	}
	only, err := parseSamples(strings.NewReader(apiserverMetrics), "apiserver_request_total")
	if err != nil {
		t.Fatal(err)
	}
	if len(only) != 10 {
		t.Fatalf("%d apiserver_request_total samples, want 10", len(only))
	}
	if got := sum(only, "apiserver_request_total", map[string]string{"resource": "secrets", "verb": "POST"}); got != 102 {
		t.Fatalf("sum of secret creates %v, want 102", got)
	}
	for _, bad := range []string{"name{a=\"x\"", "name{a=x} 1", "name", "name{} notanumber", "{a=\"b\"} 1"} {
		if _, err := parseSamples(strings.NewReader(bad + "\n")); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestRequestCountsSinceAndClasses(t *testing.T) {
	samples, err := parseSamples(strings.NewReader(apiserverMetrics), "apiserver_request_total")
	if err != nil {
		t.Fatal(err)
	}
	after := requestCountsFrom(samples)
	before := requestCounts{{verb: "GET", resource: "secrets"}: 100}
	own := requestCounts{{verb: "POST", resource: "esignetrelyingparties"}: 100}
	d := after.since(before, own)
	if _, ok := d[reqKey{verb: "PUT", resource: "leases"}]; ok {
		t.Error("the API server's lease renewals were counted")
	}
	if _, ok := d[reqKey{verb: "POST", resource: "esignetrelyingparties"}]; ok {
		t.Error("the bench's own creates were counted")
	}
	if got := d.total(isRead); got != 500 {
		t.Errorf("reads %v, want 500 (the non-resource GET left out)", got)
	}
	classes := d.writesByClass()
	want := map[string]float64{"Secret and ConfigMap creates": 152, "Secret and ConfigMap updates": 400, "relying-party status writes": 100, "events": 300}
	for k, v := range want {
		if classes[k] != v {
			t.Errorf("%s: %v, want %v (all: %v)", k, classes[k], v, classes)
		}
	}
	if got := d.total(func(k reqKey) bool { return isWrite(k) && k.failed }); got != 2 {
		t.Errorf("failed writes %v, want 2", got)
	}
	if got := objectWrites(d); got != 652 {
		t.Errorf("object writes %v, want 652", got)
	}
	if got := d.describe(isWrite); !strings.HasPrefix(got, "APPLY secrets 400, POST events 300, ") || !strings.Contains(got, "POST secrets (failed) 2") {
		t.Errorf("describe: %s", got)
	}
}

func TestMarkdownTable(t *testing.T) {
	got := markdownTable([]string{"figure", "N = 100"}, [][]string{{"time", "1.5 s"}, {"a|b", "x"}, {"short"}})
	want := "" +
		"| figure | N = 100 |\n" +
		"| ------ | ------- |\n" +
		"| time   | 1.5 s   |\n" +
		"| a\\|b   | x       |\n" +
		"| short  |         |\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := markdownTable([]string{"a"}, [][]string{{"||"}}); got != "| a    |\n| ---- |\n| \\|\\| |\n" {
		t.Fatalf("narrow column: %q", got)
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		800 * time.Microsecond: "0.8 ms", 45 * time.Millisecond: "45 ms", 1250 * time.Millisecond: "1.25 s", 12345 * time.Millisecond: "12.3 s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %s, want %s", d, got, want)
		}
	}
	if formatCount(3) != "3" || formatCount(2.5) != "2.50" {
		t.Error("formatCount")
	}
	use := cpuUse{"bench": 0.5, "manager": 12.25, "etcd": 1}
	if got := use.String(); got != "manager 12.2 s, etcd 1.00 s, bench 0.50 s" {
		t.Errorf("cpu: %s", got)
	}
}

func TestResultTableHasAColumnPerSize(t *testing.T) {
	res := []*result{{n: 100, toReady: 10 * time.Second, floor: floorResult{keygen: 4 * time.Second, writes: 4 * time.Second}},
		{n: 1000, toReady: 100 * time.Second, floor: floorResult{keygen: 40 * time.Second, writes: 40 * time.Second}}}
	table := resultTable(res)
	if !strings.Contains(table, "| N = 100 ") || !strings.Contains(table, "| N = 1000 ") || !strings.Contains(table, "**1.25×**") {
		t.Fatalf("table:\n%s", table)
	}
	if n := strings.Count(table, "\n"); n != len(tableRows())+2 {
		t.Fatalf("%d lines, want %d", n, len(tableRows())+2)
	}
}

func TestProcParsing(t *testing.T) {
	status := "Name:\tmanager\nVmPeak:\t 1300000 kB\nVmHWM:\t   66560 kB\nVmRSS:\t   65000 kB\n"
	if v, err := statusField(status, "VmHWM"); err != nil || v != 66560 {
		t.Fatalf("VmHWM %d %v", v, err)
	}
	if _, err := statusField(status, "VmSwap"); err == nil {
		t.Fatal("a missing field was found")
	}
	// The command name may hold spaces and parentheses; utime is 1200 and stime 34 ticks.
	stat := "4242 (odd (name) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1200 34 0 0 20 0 12 0 500 1000000 2000"
	if ticks, err := statTicks(stat); err != nil || ticks != 1234 {
		t.Fatalf("ticks %d %v", ticks, err)
	}
	if _, err := statTicks("4242 (short) S 1"); err == nil {
		t.Fatal("a short stat line parsed")
	}
	procStat := "cpu  100 5 50 1000 7 3 2 40 0 0\ncpu0 50 2 25 500 3 1 1 20 0 0\n"
	if busy, err := machineBusyTicks(procStat); err != nil || busy != 200 {
		t.Fatalf("machine busy %d %v", busy, err)
	}
	if _, err := machineBusyTicks("intr 1 2 3\n"); err == nil {
		t.Fatal("a /proc/stat without a cpu line parsed")
	}
	use := cpuUse{"manager": 2, "etcd": 1, machineKey: 5.5}
	if use.others() != 2.5 || use.total("manager", "etcd", "nothing") != 3 {
		t.Fatalf("others %v total %v", use.others(), use.total("manager", "etcd"))
	}
	if _, err := cpuSeconds(1 << 30); err == nil {
		t.Fatal("a pid that cannot exist was read")
	}
}

// loopbackURL is a pure check (nothing is dialled): the bench refuses to send traffic to any of
// the non-loopback addresses below.
func TestLoopbackURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://127.0.0.1:6443/": true, "http://[::1]:8080": true, "http://localhost:1": true, "http://127.3.4.5": true,
		"https://10.0.0.1:6443": false, "http://169.254.169.254/": false, "https://example.org": false, "not a url": false,
	} {
		if got := loopbackURL(u); got != want {
			t.Errorf("loopbackURL(%q) = %v", u, got)
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("100, 1000,100", true)
	if err != nil || len(got) != 3 || got[0] != 100 || got[1] != 1000 || got[2] != 5000 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "0", "ten", "-5"} {
		if _, err := parseSizes(bad, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestForEachStopsAtTheFirstError(t *testing.T) {
	var ran atomic.Int64
	boom := errors.New("boom")
	err := forEach(context.Background(), 1000, 4, func(_ context.Context, i int) error {
		ran.Add(1)
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() >= 1000 {
		t.Fatalf("err %v after %d items", err, ran.Load())
	}
	ran.Store(0)
	if err := forEach(context.Background(), 50, 8, func(context.Context, int) error { ran.Add(1); return nil }); err != nil || ran.Load() != 50 {
		t.Fatalf("err %v, %d of 50 items", err, ran.Load())
	}
}

func TestTrackerCountsReadyAndFlaps(t *testing.T) {
	tr := &tracker{gen: map[string]int64{}, readyAt: map[string]int64{}, since: map[string]time.Time{}, changed: make(chan struct{})}
	t0 := time.Now()
	tr.observe(rpWith("a", 1, false), t0)
	tr.observe(rpWith("a", 1, true), t0.Add(time.Second))
	tr.observe(rpWith("a", 1, true), t0.Add(2*time.Second)) // a status write that keeps it Ready
	if tr.ready != 1 || !tr.since["a"].Equal(t0.Add(time.Second)) {
		t.Fatalf("ready %d since %v", tr.ready, tr.since["a"])
	}
	tr.observe(rpWith("a", 2, false), t0.Add(3*time.Second)) // a spec change: not a flap
	tr.observe(rpWith("a", 2, true), t0.Add(4*time.Second))
	tr.observe(rpWith("a", 2, false), t0.Add(5*time.Second)) // a flap
	if tr.ready != 0 || tr.flapCount() != 1 {
		t.Fatalf("ready %d flaps %d", tr.ready, tr.flapCount())
	}
	tr.observe(rpWith("a", 2, true), t0.Add(6*time.Second))
	at, err := tr.waitReadyAt(context.Background(), "a", 2, time.Second)
	if err != nil || !at.Equal(t0.Add(6*time.Second)) {
		t.Fatalf("waitReadyAt %v %v", at, err)
	}
	if _, err := tr.waitReadyAt(context.Background(), "a", 3, 50*time.Millisecond); err == nil {
		t.Fatal("a generation never seen Ready was waited for successfully")
	}
}

func TestFloorIsTheMeanOfBothMeasurements(t *testing.T) {
	before := floorResult{keygen: 8 * time.Second, writes: 2 * time.Second, cpu: cpuUse{"bench": 16, "kube-apiserver": 4}}
	after := floorResult{keygen: 12 * time.Second, writes: 8 * time.Second, cpu: cpuUse{"bench": 20, "kube-apiserver": 8}}
	one := &result{floor: before}
	if got := one.floorTotal(); got != 10*time.Second {
		t.Errorf("one measurement: %v, want 10s", got)
	}
	both := &result{floor: before, floorAfter: after}
	if got := both.floorTotal(); got != 15*time.Second {
		t.Errorf("both: %v, want 15s", got)
	}
	if got := both.floorCPU("bench", "kube-apiserver"); got != 24 {
		t.Errorf("both CPU: %v, want 24", got)
	}
}
