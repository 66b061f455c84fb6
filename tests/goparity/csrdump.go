// csrdump prints what Kubernetes' Go code sees in certificate requests: for every input it runs
// pem.Decode + x509.ParseCertificateRequest exactly as k8s.io/kubernetes/pkg/apis/certificates
// helpers.go ParseCSR does (first valid block wins, it must be "CERTIFICATE REQUEST"), then
// CheckSignature as kube-controller-manager's signer does, and writes one JSON object per line.
//
// Input on stdin: records of a 4-byte big-endian length followed by that many bytes.
// Standard library only, so that it builds offline with GO111MODULE=off.
package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
)

type attribute struct {
	Oid   string `json:"oid"`
	Value string `json:"value"`
	IsStr bool   `json:"isString"`
}

type ipAddress struct {
	Hex  string `json:"hex"`
	Text string `json:"text"`
}

type pemView struct {
	Found   bool   `json:"found"`
	Type    string `json:"type"`
	Headers int    `json:"headers"`
	DerHex  string `json:"der"`
	Rest    int    `json:"rest"`
}

type result struct {
	Pem         pemView     `json:"pem"`
	Ok          bool        `json:"ok"`
	Error       string      `json:"error,omitempty"`
	SignatureOk bool        `json:"signatureOk"`
	CommonName  string      `json:"cn"`
	Orgs        []string    `json:"o"`
	Subject     []attribute `json:"subject"`
	DNS         []string    `json:"dns"`
	Email       []string    `json:"email"`
	IP          []ipAddress `json:"ip"`
	URI         []string    `json:"uri"`
	KeyType     string      `json:"keyType"`
	KeyBits     int         `json:"keyBits"`
	Extensions  []string    `json:"extensions"`
}

func dump(input []byte) result {
	var r result
	block, rest := pem.Decode(input)
	if block != nil {
		r.Pem = pemView{Found: true, Type: block.Type, Headers: len(block.Headers), DerHex: hex.EncodeToString(block.Bytes), Rest: len(rest)}
	}
	// k8s.io/kubernetes/pkg/apis/certificates/helpers.go ParseCSR
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		r.Error = "PEM block type must be CERTIFICATE REQUEST"
		return r
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.Ok = true
	r.SignatureOk = csr.CheckSignature() == nil
	r.CommonName = csr.Subject.CommonName
	r.Orgs = append([]string{}, csr.Subject.Organization...)
	r.Subject = []attribute{}
	for _, atv := range csr.Subject.Names {
		s, isStr := atv.Value.(string)
		if !isStr {
			s = fmt.Sprintf("%v", atv.Value)
		}
		r.Subject = append(r.Subject, attribute{Oid: atv.Type.String(), Value: s, IsStr: isStr})
	}
	r.DNS = append([]string{}, csr.DNSNames...)
	r.Email = append([]string{}, csr.EmailAddresses...)
	r.IP = []ipAddress{}
	for _, ip := range csr.IPAddresses {
		r.IP = append(r.IP, ipAddress{Hex: hex.EncodeToString(ip), Text: ip.String()})
	}
	r.URI = []string{}
	for _, u := range csr.URIs {
		r.URI = append(r.URI, u.String())
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		r.KeyType = "RSA"
		r.KeyBits = k.N.BitLen()
	case *ecdsa.PublicKey:
		r.KeyType = "ECDSA " + k.Curve.Params().Name
		r.KeyBits = k.Curve.Params().BitSize
	case ed25519.PublicKey:
		r.KeyType = "Ed25519"
	default:
		r.KeyType = fmt.Sprintf("other %T", k)
	}
	r.Extensions = []string{}
	for _, e := range csr.Extensions {
		r.Extensions = append(r.Extensions, e.Id.String())
	}
	return r
}

func main() {
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for {
		var length uint32
		if err := binary.Read(in, binary.BigEndian, &length); err == io.EOF {
			return
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "csrdump: reading a record length:", err)
			os.Exit(2)
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(in, data); err != nil {
			fmt.Fprintln(os.Stderr, "csrdump: reading a record:", err)
			os.Exit(2)
		}
		if err := enc.Encode(dump(data)); err != nil {
			fmt.Fprintln(os.Stderr, "csrdump: writing:", err)
			os.Exit(2)
		}
	}
}
