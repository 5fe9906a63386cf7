package csaf

// documentJSON is the wire form of the CSAF 2.0 fields this package reads.
type documentJSON struct {
	Document struct {
		Category    string `json:"category"`
		CSAFVersion string `json:"csaf_version"`
		Title       string `json:"title"`
		Publisher   struct {
			Category  string `json:"category"`
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"publisher"`
		Tracking struct {
			ID                 string `json:"id"`
			Version            string `json:"version"`
			Status             string `json:"status"`
			InitialReleaseDate string `json:"initial_release_date"`
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree     productTree `json:"product_tree"`
	Vulnerabilities []vulnJSON  `json:"vulnerabilities"`
}

type productTree struct {
	Branches         []branch          `json:"branches"`
	FullProductNames []fullProductName `json:"full_product_names"`
	Relationships    []relationship    `json:"relationships"`
}

type branch struct {
	Category string           `json:"category"`
	Name     string           `json:"name"`
	Product  *fullProductName `json:"product"`
	Branches []branch         `json:"branches"`
}

type fullProductName struct {
	Name      string `json:"name"`
	ProductID string `json:"product_id"`
	Helper    *struct {
		CPE  string `json:"cpe"`
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

type relationship struct {
	Category         string          `json:"category"`
	FullProductName  fullProductName `json:"full_product_name"`
	ProductReference string          `json:"product_reference"`
	RelatesTo        string          `json:"relates_to_product_reference"`
}

type vulnJSON struct {
	CVE string `json:"cve"`
	IDs []struct {
		SystemName string `json:"system_name"`
		Text       string `json:"text"`
	} `json:"ids"`
	Title         string              `json:"title"`
	ProductStatus map[string][]string `json:"product_status"`
	Scores        []struct {
		CVSSv3 *struct {
			VectorString string `json:"vectorString"`
		} `json:"cvss_v3"`
		CVSSv2 *struct {
			VectorString string `json:"vectorString"`
		} `json:"cvss_v2"`
	} `json:"scores"`
	References []struct {
		Category string `json:"category"`
		URL      string `json:"url"`
	} `json:"references"`
}
