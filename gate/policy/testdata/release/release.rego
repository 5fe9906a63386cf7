# A realistic release policy with twenty rules over stella.gate.input/v1,
# used by the benchmark and the OPA agreement test. "Now" is read from
# input.clockCutoff so the opa CLI, which cannot pin time.now_ns, agrees.
package stella.release

import data.stella.config

ns_per_day := 86400000000000

now := time.parse_rfc3339_ns(input.clockCutoff)

production if input.environment.tier == "production"

# Each rule that scans all findings costs a pass over 10,000 objects, so the
# sparse categories are collected once, into arrays (a set would hash every
# finding object), and their rules iterate the few that matter.
active := [f | some f in input.findings; f.active]

kev := [f | some f in active; f.kev != null]

severe := [f | some f in active; f.severity in {"high", "critical"}]

label(f) := sprintf("%s in %s", [f.advisoryId, f.component.purl])

# 1. Critical findings block every environment.
deny contains {"code": "severity.critical", "message": label(f)} if {
	some f in severe
	f.severity == "critical"
}

# 2. High findings are worth a look.
warn contains {"code": "severity.high", "message": label(f)} if {
	some f in severe
	f.severity == "high"
}

# 3. The example of gate.md §3.
deny contains {"code": "kev-in-prod", "message": sprintf("%s is known-exploited", [f.advisoryId])} if {
	production
	some f in kev
	f.kev != null
}

# 4–6. KEV grace period and due dates.
deny contains {"code": "kev.grace-expired", "message": label(f)} if {
	some f in kev
	now - time.parse_rfc3339_ns(f.kev.dateAdded) > config.graceDays * ns_per_day
}

warn contains {"code": "kev.in-grace", "message": label(f)} if {
	some f in kev
	now - time.parse_rfc3339_ns(f.kev.dateAdded) <= config.graceDays * ns_per_day
}

deny contains {"code": "kev.past-due", "message": label(f)} if {
	some f in kev
	f.kev.dueDate != null
	time.parse_rfc3339_ns(f.kev.dueDate) < now
}

# 7–8. EPSS.
deny contains {"code": "epss.threshold-exceeded", "message": sprintf("%s: EPSS %v", [label(f), f.epss.score])} if {
	some f in active
	f.epss != null
	f.epss.score >= config.epssThreshold
}

warn contains {"code": "epss.unscored", "message": label(f)} if {
	some f in severe
	f.epss == null
	f.severity in {"high", "critical"}
}

# 9–10. VEX trust.
deny contains {"code": "vex.low-confidence", "message": sprintf("%s: confidence %v", [label(f), f.vex.confidence])} if {
	some f in input.findings
	f.vex.status in {"not_affected", "fixed"}
	f.vex.confidence < config.minVexConfidence[input.environment.tier]
}

warn contains {"code": "vex.conflict", "message": label(f)} if {
	some f in input.findings
	f.vex.conflict
}

# 11. A severe finding with a fix available has no excuse.
deny contains {"code": "fix-available", "message": sprintf("%s: fixed in %s", [label(f), concat(", ", f.fixedVersions)])} if {
	some f in severe
	f.fixState == "fixed"
	f.cvss >= 9
}

# 12–14. Aggregate limits, counting alias groups once.
# Computed once per evaluation for the three limits.
active_ids_by_severity := {sev: ids |
	some sev in {"critical", "high", "medium"}
	ids := {f.advisoryId | some f in active; f.severity == sev}
}

count_by_severity(sev) := count(active_ids_by_severity[sev])

deny contains {"code": "aggregate.critical-exceeded", "message": sprintf("%d critical", [n])} if {
	n := count_by_severity("critical")
	n > config.maxCritical
}

deny contains {"code": "aggregate.high-exceeded", "message": sprintf("%d high", [n])} if {
	n := count_by_severity("high")
	n > config.maxHigh
}

warn contains {"code": "aggregate.medium-exceeded", "message": sprintf("%d medium", [n])} if {
	n := count_by_severity("medium")
	n > config.maxMedium
}

# 15–17. Provenance of every component image.
deny contains {"code": "provenance.unsigned", "message": p.image} if {
	some p in input.provenance
	not p.signed
}

deny contains {"code": "provenance.missing", "message": c.image} if {
	some c in input.release.components
	not c.image in {p.image | some p in input.provenance}
}

warn contains {"code": "provenance.untrusted-builder", "message": p.image} if {
	some p in input.provenance
	not p.builder in config.trustedBuilders
}

# 18. The other gates.
deny contains {"code": "gates.failed", "message": g.id} if {
	some g in input.gates
	g.status == "fail"
}

# 19. Separation of duties, again in policy.
deny contains {"code": "approvals.self-approved", "message": a.approverId} if {
	some a in input.approvals
	a.approverId == input.requester.id
}

# 20. Packages nobody may ship, and exceptions in production get noticed.
deny contains {"code": "package.denied", "message": label(f)} if {
	some f in input.findings
	some prefix in config.deniedPackages
	startswith(f.component.purl, prefix)
}

warn contains {"code": "exception.in-production", "message": sprintf("%s: %s", [label(f), f.exception.id])} if {
	production
	some f in input.findings
	f.exception != null
}
