package users

import (
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// View is a user as the admin API shows it (the reference's admin User
// DTO); the user.* webhook events carry it as their data claim too.
type View struct {
	ID        uuid.UUID     `json:"id"`
	Emails    []EmailView   `json:"emails,omitempty"`
	Username  *UsernameView `json:"username,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	// Identities are the third-party accounts linked to the user's
	// addresses (reference admin User DTO).
	Identities []IdentityView `json:"identities,omitempty"`
}

// IdentityView is a linked third-party account as the admin API shows it.
type IdentityView struct {
	ID           uuid.UUID `json:"id"`
	ProviderID   string    `json:"provider_id"`
	ProviderName string    `json:"provider_name"`
	EmailID      uuid.UUID `json:"email_id"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// EmailView is an address as the admin API shows it.
type EmailView struct {
	ID         uuid.UUID `json:"id"`
	Address    string    `json:"address"`
	IsVerified bool      `json:"is_verified"`
	IsPrimary  bool      `json:"is_primary"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// UsernameView is a username as the admin API shows it.
type UsernameView struct {
	ID        uuid.UUID `json:"id"`
	Username  string    `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// View returns u as the admin API shows it.
func (u User) View() View {
	out := View{ID: u.ID, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	for _, e := range u.Emails {
		out.Emails = append(out.Emails, e.View())
	}
	for _, i := range u.Identities {
		out.Identities = append(out.Identities, IdentityView{ID: i.ID, ProviderID: i.ProviderID, ProviderName: i.ProviderName,
			EmailID: i.EmailID, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt})
	}
	if u.Username != nil {
		out.Username = &UsernameView{ID: u.Username.ID, Username: u.Username.Username, CreatedAt: u.Username.CreatedAt, UpdatedAt: u.Username.UpdatedAt}
	}
	return out
}

// View returns e as the admin API shows it.
func (e Email) View() EmailView {
	return EmailView{ID: e.ID, Address: e.Address, IsVerified: e.Verified, IsPrimary: e.Primary, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

// ViewOf returns a stored user (loaded with its emails, primary email and
// username) as the admin API shows it.
func ViewOf(r store.User) View { return fromRecord(r).View() }
