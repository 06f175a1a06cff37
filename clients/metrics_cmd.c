/* metrics_cmd.c: alliancectl metrics: the daemon's counters and gauges in
 * the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector.
 *
 * Everything comes from one status request (the JSON of status --json);
 * the daemon does no extra work for metrics. Every family is written whole
 * (HELP, TYPE, then its samples) and the exposition is printed at once, so
 * a reader never sees half a family. Families and labels: docs/metrics.md.
 */
#include "ctl.h"
#include "err.h"
#include "when.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char metrics_usage[] =
	"usage: alliancectl metrics [-H HOME] [--alliance ID|TITLE] [--min-free SIZE]\n\n"
	"The daemon's counters and gauges in the Prometheus text format (0.0.4),\n"
	"every name prefixed alliance_, labelled by alliance (its title), peer,\n"
	"member and reason: links, feeds, authoring, log size, messages by verdict,\n"
	"violations, equivocations, free space in the home, and alliance_healthy,\n"
	"the rule of 'status --check' (--min-free as there). For node_exporter's\n"
	"textfile collector, from a timer (the mv makes the new file appear whole):\n\n"
	"  f=/var/lib/node_exporter/textfile/alliance.prom\n"
	"  alliancectl metrics -H HOME >\"$f.$$\"; mv \"$f.$$\" \"$f\"\n\n"
	"When the daemon does not answer it prints 'alliance_up 0' alone and exits\n"
	"with status 1. Every family: docs/metrics.md.\n";

/* A label value as the format wants it: \, " and newline escaped. */
static void put_label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: name{k1="v1",...} value; the labels are key, value pairs
 * ending with NULL. */
static void sample(FILE *f, const char *name, const char *value, ...)
{
	va_list ap;
	const char *k;
	int n = 0;
	fputs(name, f);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		fprintf(f, "%s%s=\"", n++ ? "," : "{", k);
		put_label_value(f, va_arg(ap, const char *));
		fputc('"', f);
	}
	va_end(ap);
	fprintf(f, "%s %s\n", n ? "}" : "", value);
}

/* Sample values: an integer, or a time in ms as seconds since the epoch. */
static const char *v_int(long long v, char *buf)
{
	snprintf(buf, 32, "%lld", v);
	return buf;
}

static const char *v_secs(int64_t ms, char *buf)
{
	snprintf(buf, 32, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
	return buf;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* An ISO time of the status as ms; false when absent or unreadable. */
static bool jtime(const json_t *o, const char *key, int64_t *ms)
{
	char why[AL_ERRLEN];
	const char *s = json_string_value(json_object_get(o, key));
	return s && when_parse(s, when_now(), ms, why) == AL_OK;
}

/* The alliance label of each alliance: its title, or, when two alliances
 * served here share a title, the title and the first 16 digits of its id,
 * so that no two series are the same. The caller frees the labels. */
static char **alliance_labels(const json_t *al)
{
	size_t n = json_array_size(al);
	char **v = calloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++) {
		const json_t *a = json_array_get(al, i);
		bool twin = false;
		for (size_t k = 0; k < n; k++)
			twin |= k != i && !strcmp(jstr(a, "title"),
						  jstr(json_array_get(al, k), "title"));
		char buf[512];
		if (twin)
			snprintf(buf, sizeof buf, "%s (%.16s)", jstr(a, "title"), jstr(a, "id"));
		else
			snprintf(buf, sizeof buf, "%s", jstr(a, "title"));
		v[i] = strdup(buf);
	}
	return v;
}

/* Per alliance: one sample of an integer field. */
static void per_alliance(FILE *f, const json_t *al, char **label, const char *name,
			 const char *type, const char *help, const char *key)
{
	size_t i;
	json_t *a;
	char b[32];
	family(f, name, type, help);
	json_array_foreach(al, i, a)
		sample(f, name, v_int(ctl_jint(a, key), b), "alliance", label[i], NULL);
}

/* Per alliance and other member's link: one sample of an integer field. */
static void per_link(FILE *f, const json_t *al, char **label, const char *name,
		     const char *type, const char *help, const char *key)
{
	size_t i, k;
	json_t *a, *l;
	char b[32];
	family(f, name, type, help);
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "links"), k, l)
			sample(f, name, v_int(ctl_jint(l, key), b), "alliance", label[i], "peer",
			       jstr(l, "member"), NULL);
}

static void write_metrics(FILE *f, const json_t *st, const struct ctl_min_free *mf)
{
	const json_t *dm = json_object_get(st, "daemon"), *al = json_object_get(st, "alliances");
	const json_t *pc = json_object_get(st, "peer_counters"), *disk = json_object_get(st, "disk");
	char **label = alliance_labels(al), b[32], line[4096];
	size_t i, k;
	json_t *a, *x;
	int64_t ms;
	if (!label)
		return;

	family(f, "alliance_up", "gauge", "Whether the daemon answered the status request (1) or "
	       "not (0).");
	sample(f, "alliance_up", "1", NULL);
	family(f, "alliance_healthy", "gauge", "1 when 'alliancectl status --check' would say OK, "
	       "0 when DEGRADED.");
	sample(f, "alliance_healthy", ctl_health(st, mf, line, sizeof line) ? "1" : "0", NULL);
	family(f, "alliance_daemon_info", "gauge", "The daemon: this home's member name and the "
	       "version; always 1.");
	sample(f, "alliance_daemon_info", "1", "member", jstr(dm, "name"), "version",
	       jstr(dm, "version"), NULL);
	family(f, "alliance_daemon_start_time_seconds", "gauge", "When the daemon started, in "
	       "seconds since the epoch.");
	if (jtime(dm, "started", &ms))
		sample(f, "alliance_daemon_start_time_seconds", v_secs(ms, b), NULL);
	family(f, "alliance_handshakes_refused_total", "counter", "CurveZMQ handshakes refused "
	       "(a key that is no member's) since the daemon started.");
	sample(f, "alliance_handshakes_refused_total", v_int(ctl_jint(pc, "handshakes_refused"), b),
	       NULL);
	family(f, "alliance_peer_malformed_total", "counter", "Peer messages that could not be "
	       "decoded, since the daemon started.");
	sample(f, "alliance_peer_malformed_total", v_int(ctl_jint(pc, "malformed"), b), NULL);
	family(f, "alliance_peer_not_member_total", "counter", "Peer messages from a daemon that "
	       "is not a member of the alliance named, since the daemon started.");
	sample(f, "alliance_peer_not_member_total", v_int(ctl_jint(pc, "not_member"), b), NULL);
	family(f, "alliance_rejections_total", "counter", "Rejections of any kind (the latest are "
	       "listed by 'alliancectl status'), since the daemon started.");
	sample(f, "alliance_rejections_total", v_int(ctl_jint(pc, "rejections"), b), NULL);

	/* The home's filesystem. */
	if (json_is_object(disk)) {
		family(f, "alliance_disk_free_bytes", "gauge", "Bytes free for the daemon in the "
		       "filesystem of its home (statvfs f_bavail).");
		if (json_is_integer(json_object_get(disk, "free_bytes")))
			sample(f, "alliance_disk_free_bytes", v_int(ctl_jint(disk, "free_bytes"), b), NULL);
		family(f, "alliance_disk_size_bytes", "gauge", "Size of the filesystem of the home.");
		if (json_is_integer(json_object_get(disk, "size_bytes")))
			sample(f, "alliance_disk_size_bytes", v_int(ctl_jint(disk, "size_bytes"), b), NULL);
		family(f, "alliance_disk_writable", "gauge", "1 when the daemon's last probe could "
		       "create a file in its home, else 0.");
		sample(f, "alliance_disk_writable",
		       json_is_true(json_object_get(disk, "writable")) ? "1" : "0", NULL);
		family(f, "alliance_disk_write_errors_total", "counter", "Failed write probes in the "
		       "home since the daemon started.");
		sample(f, "alliance_disk_write_errors_total", v_int(ctl_jint(disk, "write_errors"), b),
		       NULL);
		family(f, "alliance_disk_last_write_error_timestamp_seconds", "gauge", "When the last "
		       "write probe failed, in seconds since the epoch (absent: never).");
		if (jtime(json_object_get(disk, "last_write_error"), "at", &ms))
			sample(f, "alliance_disk_last_write_error_timestamp_seconds", v_secs(ms, b),
			       NULL);
		const json_t *full = json_object_get(disk, "full");
		family(f, "alliance_disk_full", "gauge", "1 while the disk is full: a write failed "
		       "for want of space, and until there is room again the daemon signs nothing "
		       "and takes in no peer's messages; else 0.");
		sample(f, "alliance_disk_full", json_is_object(full) ? "1" : "0", NULL);
		family(f, "alliance_disk_full_seconds", "gauge", "How long the disk has been full "
		       "(absent: it is not).");
		if (json_is_object(full))
			sample(f, "alliance_disk_full_seconds", v_secs(ctl_jint(full, "for_ms"), b), NULL);
		family(f, "alliance_disk_full_total", "counter", "Times the disk filled (a write "
		       "failed for want of space) since the daemon started.");
		sample(f, "alliance_disk_full_total", v_int(ctl_jint(disk, "full_episodes"), b), NULL);
	}

	/* Per alliance. */
	family(f, "alliance_info", "gauge", "An alliance this daemon serves: its id (the charter's "
	       "hash) and this home's member name in it; always 1.");
	json_array_foreach(al, i, a)
		sample(f, "alliance_info", "1", "alliance", label[i], "id", jstr(a, "id"), "self",
		       jstr(a, "self"), NULL);
	family(f, "alliance_in_force", "gauge", "1 when every member has signed the charter.");
	json_array_foreach(al, i, a)
		sample(f, "alliance_in_force", json_is_true(json_object_get(a, "in_force")) ? "1" : "0",
		       "alliance", label[i], NULL);
	per_alliance(f, al, label, "alliance_log_records", "gauge", "Records in the alliance's log "
		     "held here.", "records");
	per_alliance(f, al, label, "alliance_log_bytes", "gauge", "Size of the log file, written "
		     "but maybe not yet synced.", "log_bytes");
	per_alliance(f, al, label, "alliance_log_durable_bytes", "gauge", "Bytes of the log known "
		     "to be on disk (synced).", "durable_bytes");
	family(f, "alliance_authoring_open", "gauge", "1 when this member may author (sign) "
	       "messages now; 0 while held, before it is a member or after it left.");
	json_array_foreach(al, i, a)
		sample(f, "alliance_authoring_open", strcmp(jstr(a, "authoring"), "open") ? "0" : "1",
		       "alliance", label[i], NULL);
	family(f, "alliance_authoring_stopped", "gauge", "1 when authoring is stopped for good: "
	       "this member's key signed a chain this home does not hold (docs/operations.md).");
	json_array_foreach(al, i, a)
		sample(f, "alliance_authoring_stopped",
		       json_is_true(json_object_get(a, "authoring_stopped")) ? "1" : "0", "alliance",
		       label[i], NULL);
	family(f, "alliance_authoring_held_seconds", "gauge", "How long authoring has been held "
	       "waiting for peers to confirm this member's feed head (absent: not held).");
	json_array_foreach(al, i, a)
		if (json_is_integer(json_object_get(a, "authoring_held_ms")))
			sample(f, "alliance_authoring_held_seconds",
			       v_secs(ctl_jint(a, "authoring_held_ms"), b), "alliance", label[i], NULL);
	per_alliance(f, al, label, "alliance_equivocations", "gauge", "Equivocation proofs held: "
		     "a member signed two messages with one sequence number.", "equivocations");
	family(f, "alliance_violations", "gauge", "Signed messages in the log that broke the "
	       "alliance's rules.");
	json_array_foreach(al, i, a)
		sample(f, "alliance_violations",
		       v_int((long long)json_array_size(json_object_get(a, "violations")), b),
		       "alliance", label[i], NULL);
	family(f, "alliance_messages_total", "counter", "Messages offered to the alliance's store "
	       "since the daemon started, by verdict: accepted, duplicate, or the reason of a "
	       "rejection.");
	json_array_foreach(al, i, a) {
		const char *reason;
		json_object_foreach(json_object_get(a, "counters"), reason, x)
			sample(f, "alliance_messages_total", v_int(json_integer_value(x), b), "alliance",
			       label[i], "reason", reason, NULL);
	}

	/* Per member. */
	family(f, "alliance_feed_seq", "gauge", "The last sequence number of each member's feed "
	       "held here.");
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "members"), k, x)
			sample(f, "alliance_feed_seq", v_int(ctl_jint(x, "seq"), b), "alliance", label[i],
			       "member", jstr(x, "feed"), NULL);
	family(f, "alliance_member_current", "gauge", "1 for a member who may act (a founder, or "
	       "joined by amendment); 0 for one who left or a candidate not yet added.");
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "members"), k, x)
			sample(f, "alliance_member_current", ctl_standing_current(jstr(x, "standing")) ? "1" : "0",
			       "alliance", label[i], "member", jstr(x, "feed"), NULL);

	/* Per link to another member's daemon. */
	family(f, "alliance_peer_up", "gauge", "1 when a valid message came from the peer within "
	       "the link timeout (4 s).");
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "links"), k, x)
			sample(f, "alliance_peer_up", strcmp(jstr(x, "state"), "up") ? "0" : "1",
			       "alliance", label[i], "peer", jstr(x, "member"), NULL);
	family(f, "alliance_peer_connected", "gauge", "1 when our connection to the peer's "
	       "endpoint is established.");
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "links"), k, x)
			sample(f, "alliance_peer_connected",
			       strcmp(jstr(x, "connection"), "connected") ? "0" : "1", "alliance",
			       label[i], "peer", jstr(x, "member"), NULL);
	family(f, "alliance_peer_last_heard_timestamp_seconds", "gauge", "When the last valid "
	       "message came from the peer, in seconds since the epoch (absent: never since the "
	       "daemon started).");
	json_array_foreach(al, i, a)
		json_array_foreach(json_object_get(a, "links"), k, x)
			if (jtime(x, "last_heard", &ms))
				sample(f, "alliance_peer_last_heard_timestamp_seconds", v_secs(ms, b),
				       "alliance", label[i], "peer", jstr(x, "member"), NULL);
	per_link(f, al, label, "alliance_peer_holds_our_seq", "gauge", "How much of this member's "
		 "feed the peer's last Have says it holds (unsigned).", "holds_ours");
	per_link(f, al, label, "alliance_peer_acked_seq", "gauge", "How much of this member's feed "
		 "the peer's own signed messages acknowledge.", "acked");
	per_link(f, al, label, "alliance_peer_messages_received_total", "counter", "Signed messages "
		 "(any author's, duplicates too) received from the peer since the daemon started.",
		 "received");
	per_link(f, al, label, "alliance_peer_messages_sent_total", "counter", "Signed messages "
		 "(any author's) sent to the peer since the daemon started.", "sent");
	per_link(f, al, label, "alliance_peer_unbacked_claims_total", "counter", "Haves from the "
		 "peer claiming more of this member's feed than exists here, not backed by the "
		 "messages when asked, since the daemon started.", "unbacked_claims");

	for (i = 0; i < json_array_size(al); i++)
		free(label[i]);
	free(label);
}

int cmd_metrics(int argc, char **argv)
{
	enum { O_ALLIANCE = 256, O_MIN_FREE };
	static const struct option opts[] = {
		{ "alliance", required_argument, NULL, O_ALLIANCE },
		{ "min-free", required_argument, NULL, O_MIN_FREE },
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *home_opt = NULL, *sel = "";
	struct ctl_min_free mf = CTL_MIN_FREE_DEFAULT;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "hH:", opts, NULL)) != -1) {
		switch (opt) {
		case 'h': fputs(metrics_usage, stdout); return 0;
		case 'H': home_opt = optarg; break;
		case O_ALLIANCE: sel = optarg; break;
		case O_MIN_FREE:
			if (ctl_parse_min_free(optarg, &mf))
				return CTL_EXIT_USAGE;
			break;
		default: return ctl_usage("metrics", "bad option");
		}
	}
	if (optind != argc)
		return ctl_usage("metrics", "unexpected argument '%s'", argv[optind]);
	const char *home = ctl_home(home_opt);
	if (!home)
		return CTL_EXIT_USAGE;
	struct al_request rq = { .op = AL_OP_STATUS, .alliance = (char *)sel };
	struct al_reply rp;
	if (ctl_call(home, &rq, &rp)) { /* it said why on stderr */
		family(stdout, "alliance_up", "gauge", "Whether the daemon answered the status "
		       "request (1) or not (0).");
		sample(stdout, "alliance_up", "0", NULL);
		return CTL_EXIT_FAIL;
	}
	json_t *j = json_loads(rp.json, 0, NULL);
	control_reply_clear(&rp);
	if (!j)
		return ctl_error("the daemon sent a status that is not JSON");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		json_decref(j);
		return ctl_error("out of memory");
	}
	write_metrics(f, j, &mf);
	json_decref(j);
	int bad = fclose(f);
	if (bad || !text || !len) {
		free(text);
		return ctl_error("out of memory");
	}
	/* At once: a textfile collector must never read half an exposition
	 * (and the atomic mv in docs/metrics.md covers the rest). */
	size_t put = fwrite(text, 1, len, stdout);
	free(text);
	if (put != len || fflush(stdout) == EOF)
		return ctl_error("cannot write the metrics to standard output: %s", strerror(errno));
	return 0;
}
