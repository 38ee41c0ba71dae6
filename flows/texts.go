package flows

import (
	"slices"
	"sort"
	"strings"
)

// Texts are the on-screen strings the flows look for, per language. Every
// field is a list of candidates: ROM regions and OS versions word the same
// thing differently (MIUI 12 says "Mi Account", MIUI 13 and later "Xiaomi
// Account"). Resource ids are matched first wherever one is known; texts
// are the second line. Sources are in ../shared/reference/xiaomi.md; a
// string no public source confirmed is marked "assumed" below and in the
// fixture that uses it.
type Texts struct {
	Lang string // ISO 639-1 code: en, zh, id, ru, es
	Name string // the language's English name

	AccountRow    []string // Settings row of a signed-in account
	SignInRow     []string // Settings row when signed out
	AccountTitle  []string // title of the account screen
	SignIn        []string // sign-in button of the signed-out account app
	SignOut       []string // the sign-out button
	DataTitle     []string // "Delete synced items from this device?"
	Remove        []string // data dialog: remove from the phone
	Keep          []string // data dialog: keep on the phone
	ConfirmTitle  []string // the confirmation after choosing
	OK            []string
	Cancel        []string
	PasswordTitle []string // password dialog title
	WrongPassword []string // error shown for a wrong password
	CannotSignOut []string // "Can't sign out"
	FindDevice    []string // "Turn off Find device?"
	TurnOff       []string // ... "Turn off anyway"
	KeepOn        []string // ... "Keep on"
	UpdateTitle   []string // system update prompts (prefixes)
	Later         []string // buttons that postpone an update
	USBTitle      []string // USB debugging / USB mode prompts (prefixes)
	Deny          []string // buttons that refuse a permission

	// The account web site (delete-account). These come from third-party
	// guides, not from Xiaomi: candidates, like the rest.
	WebSignIn        []string // the site's sign-in button
	WebSignInError   []string // wrong account or password
	WebAccountHome   []string // texts of the signed-in account page
	WebDeleteButton  []string // "Delete Mi Account"
	WebApprove       []string // the approval box's label
	WebCodeSent      []string // "A verification code has been sent to" (prefixes)
	WebSubmit        []string // submits the code
	WebWrongCode     []string // wrong or expired code (prefixes)
	WebConfirmTitle  []string // the final confirmation
	WebConfirmDelete []string // its Delete button
	WebSuccess       []string // the success message (prefixes)
	WebCaptcha       []string // security checks (prefixes)
	WebTooMany       []string // "too many attempts" (prefixes)
	ChooserTitle     []string // Android's "Open with"
	JustOnce         []string // ... "Just once"
}

// languages returns the table. It is built on each call so no package
// state can be changed by a caller.
func languages() map[string]Texts {
	return map[string]Texts{
		"en": {
			Lang: "en", Name: "English",
			AccountRow:    []string{"Xiaomi Account", "Mi Account"},
			SignInRow:     []string{"Sign in to Xiaomi Account", "Sign in to Mi Account", "Sign in"},
			AccountTitle:  []string{"Xiaomi Account", "Mi Account"},
			SignIn:        []string{"Sign in", "Sign in with Xiaomi Account", "Sign in with Mi Account"},
			SignOut:       []string{"Sign out", "Sign Out", "Log out"},
			DataTitle:     []string{"Delete synced items from this device?"},
			Remove:        []string{"Remove", "Delete"},
			Keep:          []string{"Keep"},
			ConfirmTitle:  []string{"Remove synced data?"},
			OK:            []string{"OK", "Ok"},
			Cancel:        []string{"Cancel"},
			PasswordTitle: []string{"Verify password", "Enter password"},
			WrongPassword: []string{"Password is incorrect", "Incorrect password", "Wrong password"},
			CannotSignOut: []string{"Can't sign out", "Can’t sign out"},
			FindDevice:    []string{"Turn off Find device?"},
			TurnOff:       []string{"Turn off anyway", "Turn off"},
			KeepOn:        []string{"Keep on"},
			UpdateTitle:   []string{"System update", "New system update", "Update available", "New update available"},
			Later:         []string{"Later", "Not now", "Remind me later", "Cancel"},
			USBTitle:      []string{"Allow USB debugging?", "Use USB to", "Use USB for"},
			Deny:          []string{"Deny", "Don't allow", "Don’t allow", "Reject", "Cancel"},

			WebSignIn:        []string{"Sign in", "Sign In", "Log in"},
			WebSignInError:   []string{"Incorrect account or password", "Incorrect password", "Wrong password"},
			WebAccountHome:   []string{"Account security", "Delete account", "Personal info"},
			WebDeleteButton:  []string{"Delete Mi Account", "Delete Xiaomi Account", "Delete account"},
			WebApprove:       []string{"Yes, I want to permanently delete my Mi Account and all its data", "Yes, I want to permanently delete my Xiaomi Account and all its data"},
			WebCodeSent:      []string{"A verification code has been sent to", "Verification code sent to", "We sent a code to"},
			WebSubmit:        []string{"Submit", "Next", "Verify", "OK"},
			WebWrongCode:     []string{"The verification code is incorrect", "Incorrect verification code", "Verification code expired", "The code has expired"},
			WebConfirmTitle:  []string{"Delete this Mi Account?", "Delete this Xiaomi Account?", "Delete account?"},
			WebConfirmDelete: []string{"Delete", "Confirm", "Delete account"},
			WebSuccess:       []string{"Your Mi Account will be deleted", "Your Xiaomi Account will be deleted", "Request submitted", "Your account has been deleted", "Account deleted"},
			WebCaptcha:       []string{"Security verification", "Enter the characters", "Verify you are human", "Verify you're human"},
			WebTooMany:       []string{"Too many attempts", "Too many requests", "Try again later"},
			ChooserTitle:     []string{"Open with", "Complete action using", "Open with Chrome"},
			JustOnce:         []string{"Just once", "Only once", "JUST ONCE"},
		},
		// Chinese: the settings row, signed-out row and sign-out button
		// are from public MIUI strings; the dialog texts are assumed.
		"zh": {
			Lang: "zh", Name: "Simplified Chinese",
			AccountRow:    []string{"小米账号", "小米帐号"},
			SignInRow:     []string{"登录小米账号", "登录小米帐号"},
			AccountTitle:  []string{"小米账号", "小米帐号"},
			SignIn:        []string{"登录", "登录小米账号", "登录小米帐号"},
			SignOut:       []string{"退出登录", "退出账号", "退出帐号"},
			DataTitle:     []string{"是否删除本机上的同步数据？"},
			Remove:        []string{"删除", "移除"},
			Keep:          []string{"保留"},
			ConfirmTitle:  []string{"删除同步数据？"},
			OK:            []string{"确定", "好"},
			Cancel:        []string{"取消"},
			PasswordTitle: []string{"验证密码", "输入密码"},
			WrongPassword: []string{"密码错误"},
			CannotSignOut: []string{"无法退出登录"},
			FindDevice:    []string{"关闭查找设备？"},
			TurnOff:       []string{"仍要关闭", "关闭"},
			KeepOn:        []string{"保持开启"},
			UpdateTitle:   []string{"系统更新", "发现新版本"},
			Later:         []string{"稍后", "以后再说", "取消"},
			USBTitle:      []string{"允许 USB 调试吗？", "USB 用途"},
			Deny:          []string{"拒绝", "取消"},

			WebSignIn:        []string{"登录"},
			WebSignInError:   []string{"用户名或密码不正确", "密码错误"},
			WebAccountHome:   []string{"账号安全", "注销账号", "个人信息"},
			WebDeleteButton:  []string{"注销小米账号", "注销账号"},
			WebApprove:       []string{"是的，我要永久注销我的小米账号并删除其全部数据"},
			WebCodeSent:      []string{"验证码已发送至"},
			WebSubmit:        []string{"提交", "确定", "下一步"},
			WebWrongCode:     []string{"验证码错误", "验证码已过期"},
			WebConfirmTitle:  []string{"确定注销此小米账号？"},
			WebConfirmDelete: []string{"注销", "确定"},
			WebSuccess:       []string{"你的小米账号将在", "申请已提交", "账号已注销"},
			WebCaptcha:       []string{"安全验证", "请输入图中字符"},
			WebTooMany:       []string{"操作过于频繁", "请稍后再试"},
			ChooserTitle:     []string{"打开方式", "选择要使用的应用"},
			JustOnce:         []string{"仅此一次"},
		},
		// Indonesian: no public source was found; every string is assumed
		// (see fixtures/miui14-id).
		"id": {
			Lang: "id", Name: "Indonesian",
			AccountRow:    []string{"Akun Xiaomi", "Akun Mi"},
			SignInRow:     []string{"Masuk ke Akun Xiaomi", "Masuk ke Akun Mi"},
			AccountTitle:  []string{"Akun Xiaomi", "Akun Mi"},
			SignIn:        []string{"Masuk"},
			SignOut:       []string{"Keluar"},
			DataTitle:     []string{"Hapus item yang disinkronkan dari perangkat ini?"},
			Remove:        []string{"Hapus"},
			Keep:          []string{"Simpan"},
			ConfirmTitle:  []string{"Hapus data yang disinkronkan?"},
			OK:            []string{"OK", "Oke"},
			Cancel:        []string{"Batal"},
			PasswordTitle: []string{"Verifikasi sandi", "Masukkan sandi"},
			WrongPassword: []string{"Sandi salah"},
			CannotSignOut: []string{"Tidak dapat keluar"},
			FindDevice:    []string{"Nonaktifkan Cari perangkat?"},
			TurnOff:       []string{"Tetap nonaktifkan", "Nonaktifkan"},
			KeepOn:        []string{"Biarkan aktif"},
			UpdateTitle:   []string{"Pembaruan sistem"},
			Later:         []string{"Nanti", "Batal"},
			USBTitle:      []string{"Izinkan debugging USB?"},
			Deny:          []string{"Tolak", "Batal"},
		},
		// Russian: from MIUI 13/14 string resources.
		"ru": {
			Lang: "ru", Name: "Russian",
			AccountRow:    []string{"Xiaomi аккаунт", "Mi аккаунт"},
			SignInRow:     []string{"Вход в Xiaomi аккаунт", "Вход в Mi аккаунт"},
			AccountTitle:  []string{"Xiaomi аккаунт", "Mi аккаунт"},
			SignIn:        []string{"Войти"},
			SignOut:       []string{"Выйти из аккаунта", "Выйти"},
			DataTitle:     []string{"Удалить синхронизированные объекты с устройства?"},
			Remove:        []string{"Удалить"},
			Keep:          []string{"Оставить"},
			ConfirmTitle:  []string{"Удалить синхронизированные данные?"},
			OK:            []string{"ОК", "OK"},
			Cancel:        []string{"Отмена"},
			PasswordTitle: []string{"Проверка пароля", "Введите пароль"},
			WrongPassword: []string{"Неверный пароль"},
			FindDevice:    []string{"Отключить «Найти устройство»?"},
			TurnOff:       []string{"Всё равно отключить", "Отключить"},
			KeepOn:        []string{"Оставить включённым"},
			UpdateTitle:   []string{"Обновление системы"},
			Later:         []string{"Позже", "Отмена"},
			USBTitle:      []string{"Разрешить отладку по USB?"},
			Deny:          []string{"Отклонить", "Запретить", "Отмена"},
		},
		// Spanish: from MIUI 10 string resources.
		"es": {
			Lang: "es", Name: "Spanish",
			AccountRow:    []string{"Mi Cuenta", "Mi cuenta", "Cuenta Xiaomi"},
			SignInRow:     []string{"Inicia sesión en Mi cuenta", "Inicia sesión en Mi Cuenta", "Iniciar sesión en Cuenta Xiaomi"},
			AccountTitle:  []string{"Mi Cuenta", "Mi cuenta", "Cuenta Xiaomi"},
			SignIn:        []string{"Iniciar sesión"},
			SignOut:       []string{"Cerrar sesión"},
			DataTitle:     []string{"Eliminar los datos de Mi Cloud"},
			Remove:        []string{"Eliminar"},
			Keep:          []string{"Mantener"},
			ConfirmTitle:  []string{"¿Eliminar datos sincronizados?"},
			OK:            []string{"Aceptar", "OK"},
			Cancel:        []string{"Cancelar"},
			PasswordTitle: []string{"Verificar contraseña", "Introduzca contraseña"},
			WrongPassword: []string{"La contraseña es incorrecta"},
			FindDevice:    []string{"¿Desactivar Buscar dispositivo?"},
			TurnOff:       []string{"Desactivar de todos modos", "Desactivar"},
			KeepOn:        []string{"Mantener activado"},
			UpdateTitle:   []string{"Actualización del sistema"},
			Later:         []string{"Más tarde", "Cancelar"},
			USBTitle:      []string{"¿Permitir depuración por USB?"},
			Deny:          []string{"Denegar", "Cancelar"},
		},
	}
}

// Languages lists the supported language codes, sorted.
func Languages() []string {
	var codes []string
	for c := range languages() {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}

// TextsFor returns the strings of a language (an ISO code or a locale such
// as zh-CN or in-ID), with the English candidates added after the
// language's own: phones often leave some screens untranslated.
func TextsFor(lang string) (Texts, bool) {
	table := languages()
	code := LanguageOfLocale(lang)
	t, ok := table[code]
	if !ok {
		return table["en"], false
	}
	if code == "en" {
		return t, true
	}
	return withFallback(t, table["en"]), true
}

// LanguageOfLocale maps an Android locale (en-US, zh-Hans-CN, in-ID,
// ru_RU) to a language code of the table.
func LanguageOfLocale(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	l, _, _ = strings.Cut(strings.ReplaceAll(l, "_", "-"), "-")
	if l == "in" { // Android's legacy code for Indonesian
		l = "id"
	}
	return l
}

func withFallback(t, en Texts) Texts {
	add := func(own, more []string) []string {
		out := slices.Clone(own)
		for _, m := range more {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
		return out
	}
	t.AccountRow = add(t.AccountRow, en.AccountRow)
	t.SignInRow = add(t.SignInRow, en.SignInRow)
	t.AccountTitle = add(t.AccountTitle, en.AccountTitle)
	t.SignIn = add(t.SignIn, en.SignIn)
	t.SignOut = add(t.SignOut, en.SignOut)
	t.DataTitle = add(t.DataTitle, en.DataTitle)
	t.Remove = add(t.Remove, en.Remove)
	t.Keep = add(t.Keep, en.Keep)
	t.ConfirmTitle = add(t.ConfirmTitle, en.ConfirmTitle)
	t.OK = add(t.OK, en.OK)
	t.Cancel = add(t.Cancel, en.Cancel)
	t.PasswordTitle = add(t.PasswordTitle, en.PasswordTitle)
	t.WrongPassword = add(t.WrongPassword, en.WrongPassword)
	t.CannotSignOut = add(t.CannotSignOut, en.CannotSignOut)
	t.FindDevice = add(t.FindDevice, en.FindDevice)
	t.TurnOff = add(t.TurnOff, en.TurnOff)
	t.KeepOn = add(t.KeepOn, en.KeepOn)
	t.UpdateTitle = add(t.UpdateTitle, en.UpdateTitle)
	t.Later = add(t.Later, en.Later)
	t.USBTitle = add(t.USBTitle, en.USBTitle)
	t.Deny = add(t.Deny, en.Deny)
	t.WebSignIn = add(t.WebSignIn, en.WebSignIn)
	t.WebSignInError = add(t.WebSignInError, en.WebSignInError)
	t.WebAccountHome = add(t.WebAccountHome, en.WebAccountHome)
	t.WebDeleteButton = add(t.WebDeleteButton, en.WebDeleteButton)
	t.WebApprove = add(t.WebApprove, en.WebApprove)
	t.WebCodeSent = add(t.WebCodeSent, en.WebCodeSent)
	t.WebSubmit = add(t.WebSubmit, en.WebSubmit)
	t.WebWrongCode = add(t.WebWrongCode, en.WebWrongCode)
	t.WebConfirmTitle = add(t.WebConfirmTitle, en.WebConfirmTitle)
	t.WebConfirmDelete = add(t.WebConfirmDelete, en.WebConfirmDelete)
	t.WebSuccess = add(t.WebSuccess, en.WebSuccess)
	t.WebCaptcha = add(t.WebCaptcha, en.WebCaptcha)
	t.WebTooMany = add(t.WebTooMany, en.WebTooMany)
	t.ChooserTitle = add(t.ChooserTitle, en.ChooserTitle)
	t.JustOnce = add(t.JustOnce, en.JustOnce)
	return t
}

// AllTexts merges every language's candidates (English first): for a phone
// whose locale is unknown, the screens themselves tell the language.
func AllTexts() Texts {
	table := languages()
	all := table["en"]
	all.Lang, all.Name = "", "any (from the screens)"
	for _, code := range Languages() {
		if code != "en" {
			all = withFallback(all, table[code])
		}
	}
	return all
}
