/*
 * p11-shim.c - a PKCS#11 module for the tests that passes every call to
 * SoftHSM2 but plays a token whose PIN counter has run down, which
 * SoftHSM2 itself never does.  P11_SHIM=locked: the token says its user
 * PIN is locked and refuses every login (CKR_PIN_LOCKED); P11_SHIM=final:
 * the token says the next wrong PIN is the last one.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define SHIM_EXPORT	__attribute__((visibility("default")))
#define SOFTHSM		"/usr/lib/softhsm/libsofthsm2.so"

static CK_FUNCTION_LIST	 shim;
static CK_FUNCTION_LIST_PTR real;

static int
mode(const char *m)
{
	const char *v = getenv("P11_SHIM");

	return v != NULL && strcmp(v, m) == 0;
}

static CK_RV
shim_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	CK_RV rv = real->C_GetTokenInfo(slot, info);

	if (rv == CKR_OK && mode("locked"))
		info->flags |= CKF_USER_PIN_LOCKED;
	if (rv == CKR_OK && mode("final"))
		info->flags |= CKF_USER_PIN_FINAL_TRY;
	return rv;
}

static CK_RV
shim_login(CK_SESSION_HANDLE s, CK_USER_TYPE type, CK_UTF8CHAR_PTR pin,
    CK_ULONG len)
{
	if (mode("locked"))
		return CKR_PIN_LOCKED;
	return real->C_Login(s, type, pin, len);
}

SHIM_EXPORT CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_C_GetFunctionList get;
	void *h;

	if (real == NULL) {
		if ((h = dlopen(SOFTHSM, RTLD_NOW | RTLD_LOCAL)) == NULL)
			return CKR_GENERAL_ERROR;
		*(void **)&get = dlsym(h, "C_GetFunctionList");
		if (get == NULL || get(&real) != CKR_OK)
			return CKR_GENERAL_ERROR;
		shim = *real;
		shim.C_GetTokenInfo = shim_token_info;
		shim.C_Login = shim_login;
	}
	*list = &shim;
	return CKR_OK;
}
