package stella.release

deny contains {"code": "broken" if {
