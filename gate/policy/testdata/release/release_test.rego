package stella.release_test

import data.stella.release

base := {
	"clockCutoff": "2026-03-01T12:00:00Z",
	"environment": {"tier": "production"},
	"release": {"components": []},
	"findings": [],
	"provenance": [],
	"approvals": [],
	"gates": [],
	"requester": {"id": "u-alice"},
}

test_kev_in_prod if {
	f := {
		"advisoryId": "CVE-1", "active": true, "severity": "low", "cvss": 1, "fixState": "unknown",
		"fixedVersions": [], "component": {"purl": "pkg:npm/a@1"}, "epss": null, "exception": null,
		"kev": {"dateAdded": "2026-02-27T00:00:00Z", "dueDate": null},
		"vex": {"status": "affected", "confidence": 1, "conflict": false},
	}
	d := release.deny with input as object.union(base, {"findings": [f]})
	{"code": "kev-in-prod", "message": "CVE-1 is known-exploited"} in d
	not {"code": "kev.grace-expired", "message": "CVE-1 in pkg:npm/a@1"} in d
}

test_nothing_denied if {
	count(release.deny) == 0 with input as base
}
