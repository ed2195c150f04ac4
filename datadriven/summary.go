package datadriven

// Summarize implements delivery.Summarizer: it turns every viewer's
// figures into the lab's mesh figures: partners_mean, requests_per_chunk
// (chunks requested / fresh chunks received), dup_ratio (media bytes
// received twice / media bytes received), and totals of replacements,
// climbs, timeouts, refused input and requests for members (sent,
// answered by the rendezvous, answered on the way).
func (m *Mode) Summarize(viewers []map[string]float64) map[string]float64 {
	var served, busy, refusals, duppush, pushed, dsum, dmax, orphan float64
	var partners, requests, received, payload, dup, timeouts, replaced, failing, silent, bad, climbs, trimmed, passed float64
	var asks, answers, onPath float64
	for _, v := range viewers {
		partners += v["partners"]
		requests += v["requests"]
		received += v["received"]
		payload += v["payload_bytes"]
		dup += v["dup_bytes"]
		timeouts += v["timeouts"]
		replaced += v["replaced"]
		failing += v["failing"]
		silent += v["silent"]
		bad += v["bad_input"]
		served += v["served"]
		duppush += v["dup_push"]
		busy += v["refused_busy"]
		refusals += v["refusals"]
		pushed += v["pushed"]
		dsum += v["depth_sum"]
		dmax = max(dmax, v["depth_max"])
		orphan += v["orphan"]
		climbs += v["climbs"]
		trimmed += v["trimmed"]
		passed += v["passed"]
		asks += v["member_asks"]
		answers += v["member_answers"]
		onPath += v["member_on_path"]
	}
	out := map[string]float64{
		"timeouts_total":     timeouts,
		"served_total":       served,
		"dup_push_total":     duppush,
		"refused_busy_total": busy,
		"refusals_total":     refusals,
		"partners_replaced":  replaced,
		"climbs_total":       climbs,
		"partners_trimmed":   trimmed,
		"passed_total":       passed,
		"partners_failing":   failing,
		"partners_silent":    silent,
		"bad_input_total":    bad,
		"partners_mean":      0,
		"requests_per_chunk": 0,
		"dup_ratio":          0,
		"push_share":         0,
		"depth_max":          dmax,
		"orphan_substreams":  orphan,
		"depth_mean":         0,
		// Requests for members sent, answered by a channel's rendezvous,
		// and answered on the way by a path cache (gossip).
		"member_asks_total":    asks,
		"member_answers_total": answers,
		"member_on_path_total": onPath,
	}
	if k := float64(len(viewers))*float64(m.cfg.Substreams) - orphan; k > 0 {
		out["depth_mean"] = dsum / k
	}
	if n := float64(len(viewers)); n > 0 {
		out["partners_mean"] = partners / n
	}
	if received > 0 {
		out["requests_per_chunk"] = requests / received
		out["push_share"] = pushed / received
	}
	if payload > 0 {
		out["dup_ratio"] = dup / payload
	}
	return out
}
