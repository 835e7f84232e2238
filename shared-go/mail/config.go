package mail

import "fmt"

// SenderFor returns an SMTP sender for smtpURL, or a FileSender writing .eml files to
// dir when smtpURL is empty.
func SenderFor(smtpURL, dir string) (Sender, error) {
	if smtpURL == "" {
		return NewFileSender(dir), nil
	}
	cfg, err := ParseSMTPURL(smtpURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return NewSMTPSender(cfg), nil
}
