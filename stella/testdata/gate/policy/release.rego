package stella.release

deny contains {"code": "kev-in-prod", "message": sprintf("%s is known-exploited", [f.advisoryId])} if {
	input.environment.tier == "production"
	some f in input.findings
	f.active
	f.kev != null
}
