package nvd

import "encoding/json"

// cveJSON is the wire form of one "cve" object of the CVE API 2.0.
type cveJSON struct {
	ID             string          `json:"id"`
	Published      string          `json:"published"`
	LastModified   *string         `json:"lastModified"`
	VulnStatus     string          `json:"vulnStatus"`
	Descriptions   []langString    `json:"descriptions"`
	Metrics        metricsJSON     `json:"metrics"`
	Configurations []configuration `json:"configurations"`
	References     []referenceJSON `json:"references"`
}

type langString struct {
	Lang  string `json:"lang"`
	Value string `json:"value"`
}

type metricsJSON struct {
	V40 []metric `json:"cvssMetricV40"`
	V31 []metric `json:"cvssMetricV31"`
	V30 []metric `json:"cvssMetricV30"`
	V2  []metric `json:"cvssMetricV2"`
}

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"` // Primary or Secondary
	CVSSData struct {
		Version      string `json:"version"`
		VectorString string `json:"vectorString"`
	} `json:"cvssData"`
}

type configuration struct {
	Operator string `json:"operator"`
	Negate   bool   `json:"negate"`
	Nodes    []node `json:"nodes"`
}

type node struct {
	Operator string     `json:"operator"`
	Negate   bool       `json:"negate"`
	CPEMatch []cpeMatch `json:"cpeMatch"`
}

type cpeMatch struct {
	Vulnerable            *bool  `json:"vulnerable"`
	Criteria              string `json:"criteria"`
	MatchCriteriaID       string `json:"matchCriteriaId"`
	VersionStartIncluding string `json:"versionStartIncluding"`
	VersionStartExcluding string `json:"versionStartExcluding"`
	VersionEndIncluding   string `json:"versionEndIncluding"`
	VersionEndExcluding   string `json:"versionEndExcluding"`
}

type referenceJSON struct {
	URL    string   `json:"url"`
	Source string   `json:"source"`
	Tags   []string `json:"tags"`
}

// itemJSON is one element of "vulnerabilities".
type itemJSON struct {
	CVE *json.RawMessage `json:"cve"`
}
