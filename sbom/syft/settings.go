package syft

// settings is Stella's pinned syft configuration. Its canonical JSON digest
// is the scan's configDigest (sbom.md §8.4): changing any field changes every
// cache key and the stella:scan.configDigest property.
type settings struct {
	Engine  string `json:"engine"`
	Version string `json:"version"`
	// ImageCatalogers run on an image's root filesystem: installed software.
	ImageCatalogers []string `json:"imageCatalogers"`
	// DirectoryCatalogers run on a directory or a file: installed and
	// declared software (lock files, manifests).
	DirectoryCatalogers []string `json:"directoryCatalogers"`
	// LicenseCoverage is the percentage of a text that must match a license.
	LicenseCoverage float64 `json:"licenseCoverage"`
	// Options records the fixed choices made in createConfig.
	Options []string `json:"options"`

	parallelism int // does not change output, so not digested
}

// pinned is the configuration of this release. The cataloger lists are syft
// v1.57.1's package catalogers for image and directory sources; none reaches
// the network with the options createConfig sets (vcpkg git clones, remote
// license and Maven lookups are off). File catalogers are not run.
func pinned() settings {
	return settings{
		Engine:              Engine,
		Version:             EngineVersion,
		ImageCatalogers:     imageCatalogers(),
		DirectoryCatalogers: directoryCatalogers(),
		LicenseCoverage:     75,
		Options: []string{
			"cpes=generated",
			"files=none",
			"license-content=none",
			"network=off",
			"vcpkg-git-clone=off",
			"host-caches=off",
			"relationships=ownership-overlap,exclude-binary-overlap",
			"unknowns=off",
		},
	}
}

func imageCatalogers() []string {
	return []string{
		"alpm-db-cataloger",
		"apk-db-cataloger",
		"apple-app-bundle-cataloger",
		"binary-classifier-cataloger",
		"bitnami-cataloger",
		"cargo-auditable-binary-cataloger",
		"conan-info-cataloger",
		"dotnet-deps-binary-cataloger",
		"dotnet-packages-lock-cataloger",
		"dpkg-db-cataloger",
		"elf-binary-package-cataloger",
		"gguf-cataloger",
		"go-module-binary-cataloger",
		"graalvm-native-image-cataloger",
		"homebrew-cataloger",
		"java-archive-cataloger",
		"java-jvm-cataloger",
		"javascript-package-cataloger",
		"linux-kernel-cataloger",
		"lua-rock-cataloger",
		"nix-cataloger",
		"pe-binary-package-cataloger",
		"perl-cpan-installed-cataloger",
		"php-composer-installed-cataloger",
		"php-interpreter-cataloger",
		"php-pear-serialized-cataloger",
		"portage-cataloger",
		"python-installed-package-cataloger",
		"r-package-cataloger",
		"rpm-db-cataloger",
		"ruby-installed-gemspec-cataloger",
		"safetensors-cataloger",
		"snap-cataloger",
		"wordpress-plugins-cataloger",
	}
}

func directoryCatalogers() []string {
	return []string{
		"alpm-db-cataloger",
		"apk-db-cataloger",
		"apple-app-bundle-cataloger",
		"binary-classifier-cataloger",
		"cargo-auditable-binary-cataloger",
		"cocoapods-cataloger",
		"conan-cataloger",
		"conda-meta-cataloger",
		"dart-pubspec-cataloger",
		"dart-pubspec-lock-cataloger",
		"deb-archive-cataloger",
		"dotnet-deps-binary-cataloger",
		"dotnet-packages-lock-cataloger",
		"dpkg-db-cataloger",
		"elf-binary-package-cataloger",
		"elixir-mix-lock-cataloger",
		"erlang-otp-application-cataloger",
		"erlang-rebar-lock-cataloger",
		"gguf-cataloger",
		"github-action-workflow-usage-cataloger",
		"github-actions-usage-cataloger",
		"go-module-binary-cataloger",
		"go-module-file-cataloger",
		"graalvm-native-image-cataloger",
		"haskell-cataloger",
		"homebrew-cataloger",
		"java-archive-cataloger",
		"java-gradle-lockfile-cataloger",
		"java-jvm-cataloger",
		"java-pom-cataloger",
		"javascript-lock-cataloger",
		"linux-kernel-cataloger",
		"lua-rock-cataloger",
		"nix-cataloger",
		"opam-cataloger",
		"pe-binary-package-cataloger",
		"perl-cpan-installed-cataloger",
		"perl-cpan-meta-cataloger",
		"php-composer-lock-cataloger",
		"php-interpreter-cataloger",
		"php-pear-serialized-cataloger",
		"portage-cataloger",
		"python-installed-package-cataloger",
		"python-package-cataloger",
		"r-package-cataloger",
		"rpm-archive-cataloger",
		"rpm-db-cataloger",
		"ruby-gemfile-cataloger",
		"ruby-gemspec-cataloger",
		"rust-cargo-lock-cataloger",
		"safetensors-cataloger",
		"snap-cataloger",
		"swift-package-manager-cataloger",
		"swipl-pack-cataloger",
		"terraform-lock-cataloger",
		"vcpkg-manifest-cataloger",
		"wordpress-plugins-cataloger",
	}
}
