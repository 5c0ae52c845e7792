// Command image assembles the manager's container image without Docker: the image the
// Dockerfile describes (a static /manager on a distroless-like static:nonroot base), built with
// go-containerregistry and written as an OCI image layout directory and, optionally, as a
// docker-compatible tarball for `docker load` / `podman load`.
//
//	go run ./hack/image -o bin/image -tar bin/image.tar -tag ghcr.io/openg2p/esignet-operator:dev
//
// The image has one layer:
//
//	/manager                            CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" ./cmd/manager (0755)
//	/etc/ssl/certs/ca-certificates.crt  copied from the build machine (Debian: ca-certificates)
//	/etc/passwd, /etc/group             root, nobody and nonroot (65532), as in distroless
//	/home/nonroot                       nonroot's home (0700, 65532:65532)
//	/tmp                                1777
//
// The output is reproducible: every timestamp is SOURCE_DATE_EPOCH (default 0), tar entries are
// sorted and owned by fixed ids, so two runs from the same sources give the same digest.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	caBundle  = "/etc/ssl/certs/ca-certificates.crt"
	nonroot   = 65532
	sourceURL = "https://github.com/openg2p/esignet-operator"
	pathEnv   = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

type options struct {
	out, tarPath, tag, goarch, manager, caFile string
}

func main() {
	var o options
	flag.StringVar(&o.out, "o", "bin/image", "Output: an OCI image layout directory, or a docker-compatible tarball if it ends in .tar.")
	flag.StringVar(&o.tarPath, "tar", "", "Also write a docker-compatible tarball (docker load / podman load) to this path.")
	flag.StringVar(&o.tag, "tag", "ghcr.io/openg2p/esignet-operator:dev", "Image reference recorded in the tarball and the layout's index.")
	flag.StringVar(&o.goarch, "goarch", envOr("GOARCH", runtime.GOARCH), "Target architecture (the OS is always linux).")
	flag.StringVar(&o.manager, "manager", "", "Use this prebuilt static manager binary instead of building ./cmd/manager.")
	flag.StringVar(&o.caFile, "ca-certificates", caBundle, "CA bundle copied to "+caBundle+" in the image.")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "image: unexpected arguments:", flag.Args())
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(o options) error {
	ref, err := name.NewTag(o.tag)
	if err != nil {
		return fmt.Errorf("-tag %q: %w", o.tag, err)
	}
	created, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(o.caFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("CA bundle %s is missing: install Debian's ca-certificates (apt-get install ca-certificates) or pass -ca-certificates FILE", o.caFile)
		}
		return fmt.Errorf("reading the CA bundle: %w", err)
	}
	if len(ca) == 0 {
		return fmt.Errorf("CA bundle %s is empty", o.caFile)
	}

	managerPath := o.manager
	if managerPath == "" {
		tmp, err := os.MkdirTemp("", "esignet-image-")
		if err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(tmp) }()
		managerPath = filepath.Join(tmp, "manager")
		if err := buildManager(root, o.goarch, managerPath); err != nil {
			return err
		}
	}
	manager, err := os.ReadFile(managerPath) //nolint:gosec // the path is ours or the caller's flag
	if err != nil {
		return err
	}

	layerTar, err := rootfs(created, manager, ca)
	if err != nil {
		return err
	}
	img, err := assemble(root, ref, o.goarch, created, layerTar)
	if err != nil {
		return err
	}

	if strings.HasSuffix(o.out, ".tar") {
		if err := writeTarball(o.out, ref, img); err != nil {
			return err
		}
	} else if err := writeLayout(o.out, ref, img); err != nil {
		return err
	}
	if o.tarPath != "" {
		if err := writeTarball(o.tarPath, ref, img); err != nil {
			return err
		}
	}
	return report(o, ref, img)
}

// sourceDateEpoch is the reproducible-builds timestamp: $SOURCE_DATE_EPOCH, else the Unix epoch.
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative integer", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run inside the esignet-operator module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

func buildManager(root, goarch, out string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, "./cmd/manager") //nolint:gosec // fixed command; out is our temp path
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building the manager (GOOS=linux GOARCH=%s CGO_ENABLED=0): %w", goarch, err)
	}
	return nil
}

type entry struct {
	name     string // without leading slash; directories end in "/"
	mode     int64
	uid, gid int
	body     []byte
}

// rootfs returns the layer as an uncompressed tar with sorted, fixed-metadata entries.
func rootfs(mtime time.Time, manager, ca []byte) ([]byte, error) {
	passwd := "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group := "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	entries := []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: ca},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: nonroot, gid: nonroot},
		{name: "manager", mode: 0o755, body: manager},
		{name: "tmp/", mode: 0o1777},
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func assemble(root string, ref name.Tag, goarch string, created time.Time, layerTar []byte) (v1.Image, error) {
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = goarch
	if goarch == "arm" {
		cf.Variant = "v7"
	}
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", nonroot, nonroot),
		Entrypoint: []string{"/manager"},
		WorkingDir: "/",
		Env:        []string{pathEnv, "SSL_CERT_FILE=" + caBundle},
		Labels:     labels(root, ref),
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "go run ./hack/image (static /manager on a static:nonroot root filesystem)",
			Comment:   "esignet-operator manager",
		},
		MediaType: types.OCILayer,
	})
	if err != nil {
		return nil, err
	}
	return mutate.CreatedAt(img, v1.Time{Time: created})
}

// labels are the OCI annotations keys, as image config labels.
func labels(root string, ref name.Tag) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.source":  sourceURL,
		"org.opencontainers.image.title":   "esignet-operator",
		"org.opencontainers.image.version": ref.TagStr(),
	}
	if d := readmeDescription(filepath.Join(root, "README.md")); d != "" {
		l["org.opencontainers.image.description"] = d
	}
	if lic := licenseID(root); lic != "" {
		l["org.opencontainers.image.licenses"] = lic
	}
	return l
}

// readmeDescription is the README's first paragraph after its title, as one line of plain text.
func readmeDescription(file string) string {
	f, err := os.Open(file) //nolint:gosec // the module's README
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	var para []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#") && len(para) == 0:
			continue
		case line == "" && len(para) == 0:
			continue
		case line == "" || strings.HasPrefix(line, "#"):
			return markdownText(strings.Join(para, " "))
		}
		para = append(para, line)
	}
	return markdownText(strings.Join(para, " "))
}

// markdownText turns [text](url) into text.
func markdownText(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "](")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], ")")
		open := strings.LastIndex(s[:i], "[")
		if j < 0 || open < 0 {
			break
		}
		b.WriteString(s[:open])
		b.WriteString(s[open+1 : i])
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// licenseID recognises the common license texts and returns their SPDX id ("" if none found).
func licenseID(root string) string {
	for _, n := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"} {
		b, err := os.ReadFile(filepath.Join(root, n)) //nolint:gosec // module files
		if err != nil {
			continue
		}
		t := string(b)
		switch {
		case strings.Contains(t, "Apache License") && strings.Contains(t, "Version 2.0"):
			return "Apache-2.0"
		case strings.Contains(t, "Mozilla Public License Version 2.0"):
			return "MPL-2.0"
		case strings.Contains(t, "GNU AFFERO GENERAL PUBLIC LICENSE"):
			return "AGPL-3.0-only"
		case strings.Contains(t, "MIT License") || strings.Contains(t, "Permission is hereby granted, free of charge"):
			return "MIT"
		case strings.Contains(t, "BSD 3-Clause") || strings.Contains(t, "Neither the name of"):
			return "BSD-3-Clause"
		default:
			return "NOASSERTION"
		}
	}
	return ""
}

// writeLayout replaces dir with a fresh OCI image layout holding img. It refuses to delete a
// non-empty directory that is not an OCI layout.
func writeLayout(dir string, ref name.Tag, img v1.Image) error {
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
			return fmt.Errorf("%s exists, is not empty and is not an OCI layout; not overwriting it", dir)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	return p.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": ref.TagStr(),
		"io.containerd.image.name":          ref.Name(),
	}))
}

// writeTarball writes a `docker save`-style tarball (manifest.json + OCI blobs) atomically.
func writeTarball(file string, ref name.Tag, img v1.Image) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		return err
	}
	tmp := file + ".partial"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, file)
}

func report(o options, ref name.Tag, img v1.Image) error {
	d, err := img.Digest()
	if err != nil {
		return err
	}
	m, err := img.RawManifest()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	size := int64(len(m) + len(cfg))
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var unpacked int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			return err
		}
		size += s
		if u, ok := l.(interface{ UncompressedSize() (int64, error) }); ok {
			if n, err := u.UncompressedSize(); err == nil {
				unpacked += n
			}
		}
	}
	where := o.out
	if o.tarPath != "" {
		where += " and " + o.tarPath
	}
	fmt.Printf("image %s (linux/%s) %s: %s, %d bytes (manifest+config+compressed layers)\n",
		ref.Name(), o.goarch, path.Clean(where), d, size)
	return nil
}
