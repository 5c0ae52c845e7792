package main

import (
	"fmt"
	"strings"
	"time"
)

// markdownTable renders rows under header as a Markdown table with aligned columns.
func markdownTable(header []string, rows [][]string) string {
	width := make([]int, len(header))
	for i := range width {
		width[i] = 3 // the shortest rule Markdown accepts
	}
	for _, row := range append([][]string{header}, rows...) {
		for i := range header {
			if i < len(row) {
				width[i] = max(width[i], len([]rune(escapeCell(row[i]))))
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i := range header {
			cell := ""
			if i < len(cells) {
				cell = escapeCell(cells[i])
			}
			b.WriteString(" " + cell + strings.Repeat(" ", width[i]-len([]rune(cell))) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	rule := make([]string, len(header))
	for i := range rule {
		rule[i] = strings.Repeat("-", width[i])
	}
	line(rule)
	for _, row := range rows {
		line(row)
	}
	return b.String()
}

// escapeCell keeps a | in a cell from ending it.
func escapeCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// formatDuration prints 0.8 ms, 45 ms, 1.25 s or 12.3 s.
func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return formatSeconds(d.Seconds())
}

// row is one figure of the result table: its label and how to print it for one result.
type row struct {
	label string
	value func(r *result) string
}

// resultTable is the report: one column per N.
func resultTable(results []*result) string {
	header := []string{"figure"}
	for _, r := range results {
		header = append(header, fmt.Sprintf("N = %d", r.n))
	}
	var rows [][]string
	for _, f := range tableRows() {
		cells := []string{f.label}
		for _, r := range results {
			cells = append(cells, f.value(r))
		}
		rows = append(rows, cells)
	}
	return markdownTable(header, rows)
}

// objectWrites are the writes the target counts: Secrets, ConfigMaps and the relying party
// itself (its metadata and status), without events.
func objectWrites(c requestCounts) float64 {
	return c.total(func(k reqKey) bool { return isWrite(k) && writeClass(k) != "events" })
}

func perRP(r *result, v float64) string { return fmt.Sprintf("%.2f", perItem(v, r.n)) }

func classPerRP(class string) func(r *result) string {
	return func(r *result) string { return perRP(r, r.readyRequests.writesByClass()[class]) }
}

func resyncCell(s resyncResult) string {
	writes := s.requests.total(isWrite)
	cell := fmt.Sprintf("%s; %d eSignet calls; %s writes", formatDuration(s.took), s.calls.ClientMgmtCalls, formatCount(writes))
	if writes > 0 {
		cell += " (" + s.requests.describe(isWrite) + ")"
	}
	cell += fmt.Sprintf("; %s reads", formatCount(s.requests.total(isRead)))
	if s.flaps > 0 {
		cell += fmt.Sprintf("; seen Ready → not Ready → Ready: %d", s.flaps)
	}
	return cell
}

func mib(v float64) string { return fmt.Sprintf("%.1f MiB", v) }

func tableRows() []row {
	return []row{
		{"apply N relying parties → all Ready", func(r *result) string { return formatDuration(r.toReady) }},
		{"floor: N RS256 key generations on all cores + 7·N writes by a plain client; before the apply, after the spec changes, mean", func(r *result) string {
			f := func(fl floorResult) string {
				return fmt.Sprintf("%s + %s = %s", formatDuration(fl.keygen), formatDuration(fl.writes), formatDuration(fl.total()))
			}
			if r.floorAfter.total() == 0 {
				return f(r.floor) + "; not measured again"
			}
			return fmt.Sprintf("%s; %s; %s", f(r.floor), f(r.floorAfter), formatDuration(r.floorTotal()))
		}},
		{"**ratio to the floor** (its mean)", func(r *result) string {
			return fmt.Sprintf("**%.2f×**", r.toReady.Seconds()/r.floorTotal().Seconds())
		}},
		{"CPU time of the operator's path (manager, kube-apiserver, etcd, fake) / of the floor (bench, kube-apiserver, etcd)", func(r *result) string {
			op := r.readyCPU.total("manager", "kube-apiserver", "etcd", "fake-esignet")
			fl := r.floorCPU("bench", "kube-apiserver", "etcd")
			return fmt.Sprintf("%s / %s = %.2f×", formatSeconds(op), formatSeconds(fl), op/fl)
		}},
		{"relying parties Ready per second", func(r *result) string { return fmt.Sprintf("%.1f", float64(r.n)/r.toReady.Seconds()) }},
		{"eSignet client-management calls per relying party (target 1)", func(r *result) string {
			return fmt.Sprintf("%.2f (%s)", perItem(float64(r.readyCalls.ClientMgmtCalls), r.n), r.readyCalls.mgmtByPattern())
		}},
		{"Kubernetes writes per relying party, events aside (target 7)", func(r *result) string { return perRP(r, objectWrites(r.readyRequests)) }},
		{"· Secret and ConfigMap creates: key Secret and five outputs (target 6)", classPerRP("Secret and ConfigMap creates")},
		{"· Secret and ConfigMap updates (target 0)", classPerRP("Secret and ConfigMap updates")},
		{"· status writes (target 1)", classPerRP("relying-party status writes")},
		{"· relying-party metadata writes (finalizer, registration record)", classPerRP("relying-party writes (metadata, spec)")},
		{"· other writes", classPerRP("other")},
		{"events written per relying party", classPerRP("events")},
		{"failed writes (all causes)", func(r *result) string {
			return formatCount(r.readyRequests.total(func(k reqKey) bool { return isWrite(k) && k.failed }))
		}},
		{"Kubernetes reads per relying party (GET, LIST)", func(r *result) string { return perRP(r, r.readyRequests.total(isRead)) }},
		{"reconciles per relying party (failed in all)", func(r *result) string {
			return fmt.Sprintf("%.2f (%s)", perItem(r.readyReconciles, r.n), formatCount(r.readyErrors))
		}},
		{"CPU time while reaching Ready", func(r *result) string { return r.readyCPU.String() }},
		{"CPU time of the floor (before; after)", func(r *result) string {
			if r.floorAfter.total() == 0 {
				return r.floor.cpu.String()
			}
			return r.floor.cpu.String() + "; " + r.floorAfter.cpu.String()
		}},
		{"resync, every relying party touched: time; eSignet calls; writes (target 0; 0)", func(r *result) string { return resyncCell(r.touch) }},
		{"resync, manager restarted: time; eSignet calls; writes (target 0; 0)", func(r *result) string { return resyncCell(r.restart) }},
		{"resync, manager restarted with the unrelated objects below present", func(r *result) string {
			if r.unrelated == 0 {
				return "not run"
			}
			return resyncCell(r.withUnrelated)
		}},
		{"spec change → Ready, p50 / p99", func(r *result) string {
			if len(r.changes.samples) == 0 {
				return "not run"
			}
			return fmt.Sprintf("%s / %s over %d (fake latency %s)", formatDuration(percentile(r.changes.samples, 50)),
				formatDuration(percentile(r.changes.samples, 99)), len(r.changes.samples), r.latency)
		}},
		{"· per change: eSignet calls; writes", func(r *result) string {
			k := len(r.changes.samples)
			if k == 0 {
				return "not run"
			}
			return fmt.Sprintf("%.2f; %.2f (%s)", perItem(float64(r.changes.calls.ClientMgmtCalls), k),
				perItem(r.changes.requests.total(isWrite), k), r.changes.requests.describe(isWrite))
		}},
		{"manager peak RSS (VmHWM) reaching Ready", func(r *result) string { return mib(r.readyMemory.peakMiB) }},
		{"manager peak RSS after a restart (steady state)", func(r *result) string { return mib(r.restart.memory.peakMiB) }},
		{"· the same with 10,000 unrelated Secrets (10 KiB) and 10,000 ConfigMaps (limit +10 MiB)", func(r *result) string {
			if r.unrelated == 0 {
				return "not run"
			}
			d := r.withUnrelated.memory.peakMiB - r.restart.memory.peakMiB
			return fmt.Sprintf("%s (%+.1f MiB)", mib(r.withUnrelated.memory.peakMiB), d)
		}},
		{"· RSS growth of the running manager while they were created", func(r *result) string {
			if r.unrelated == 0 {
				return "not run"
			}
			return fmt.Sprintf("%+.1f MiB", r.liveGrowthMiB)
		}},
		{"manager heap in use after the restart's resync, without / with them", func(r *result) string {
			if r.unrelated == 0 {
				return mib(r.restart.memory.heapMiB)
			}
			return mib(r.restart.memory.heapMiB) + " / " + mib(r.withUnrelated.memory.heapMiB)
		}},
	}
}
