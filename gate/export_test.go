package gate

// The external tests (package gate_test) run the engine with the built-in
// gate types of gate/builtin, which package gate cannot import; these
// names share the internal tests' fixtures with them.
var (
	EngFixture         = engFixture
	EngMeta            = engMeta
	EngDecide          = engDecide
	EngGateByID        = engGateByID
	EngAdvisoryFinding = engAdvisoryFinding
	EngException       = engException
	EngCutoff          = engCutoff
)

const (
	EngRelease  = engRelease
	EngSnapshot = engSnapshot
	EngVEXC     = engVEXC
	EngVEXD     = engVEXD
)
