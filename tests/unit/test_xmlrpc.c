/* test_xmlrpc.c - the XML-RPC decoder and encoder (xmlrpc.c), the HTTP
 * request-head parser, base64, SHA-1 and Basic passwords (http.c), and the
 * [unix_http_server] / [inet_http_server] sections (conf/). */
#include "conf_test.h"

#include "supervisor/http.h"
#include "supervisor/xmlrpc.h"

static struct xcall C;
static char E[256];

static int decode(const char *doc)
{
    xcall_free(&C);
    return xmlrpc_decode_call(doc, strlen(doc), &C, E, sizeof E);
}

static void unit_teardown(void)
{
    xcall_free(&C);
}

START_TEST(test_decode_types)
{
    ck_assert_int_eq(decode(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.startProcess</methodName>\n"
        "<params>\n<param><value><string>web &amp; co</string></value></param>\n"
        "<param><value><boolean>1</boolean></value></param>\n"
        "<param><value>bare text</value></param>\n"
        "<param><value><i4> -42 </i4></value></param>\n"
        "<param><value><double>1.5</double></value></param>\n"
        "<param><value><array><data><value><int>1</int></value><value>x</value></data></array>"
        "</value></param>\n"
        "<param><value><struct><member><name>methodName</name><value>m</value></member>"
        "<member><name>params</name><value><array><data/></array></value></member>"
        "</struct></value></param>\n"
        "<param><value><nil/></value></param>\n"
        "<param><value/></param>\n"
        "</params></methodCall>\n"), 0);
    ck_assert_str_eq(C.method, "supervisor.startProcess");
    ck_assert_uint_eq(C.nparams, 9);
    ck_assert_int_eq(C.params[0].type, XV_STRING);
    ck_assert_str_eq(C.params[0].s, "web & co");
    ck_assert_int_eq(C.params[1].type, XV_BOOL);
    ck_assert_int_eq(C.params[1].i, 1);
    ck_assert_str_eq(C.params[2].s, "bare text");
    ck_assert_int_eq(C.params[3].type, XV_INT);
    ck_assert_int_eq(C.params[3].i, -42);
    ck_assert_int_eq(C.params[4].type, XV_DOUBLE);
    ck_assert_int_eq(C.params[5].type, XV_ARRAY);
    ck_assert_uint_eq(C.params[5].n, 2);
    ck_assert_int_eq(C.params[5].items[0].i, 1);
    ck_assert_str_eq(C.params[5].items[1].s, "x");
    const struct xv *m = xv_member(&C.params[6], "methodName");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->s, "m");
    m = xv_member(&C.params[6], "params");
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(m->type, XV_ARRAY);
    ck_assert_uint_eq(m->n, 0);
    ck_assert_ptr_null(xv_member(&C.params[6], "nope"));
    ck_assert_int_eq(C.params[7].type, XV_NIL);
    ck_assert_int_eq(C.params[8].type, XV_STRING);
    ck_assert_str_eq(C.params[8].s, "");
    /* no params at all */
    ck_assert_int_eq(decode("<methodCall><methodName>a.b</methodName></methodCall>"), 0);
    ck_assert_uint_eq(C.nparams, 0);
}
END_TEST

START_TEST(test_decode_errors)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "<methodCall><methodName>x</methodName>",                    /* unclosed */
        "<methodResponse/>",
        "<methodCall><params/></methodCall>",                       /* no methodName */
        "<methodCall><methodName>x</methodName><params><param><value><int>1x</int>"
        "</value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><int>"
        "99999999999999999999999</int></value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean>"
        "</value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><int>1</int><int>2</int>"
        "</value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><struct><member>"
        "<value>1</value></member></struct></value></param></params></methodCall>",
        "<methodCall><methodName>x</methodName><bogus/></methodCall>",
        "<methodCall a='1'><methodName>x</methodName></methodCall>",
        "<!DOCTYPE l [<!ENTITY a \"aaaa\">]><methodCall><methodName>&a;</methodName></methodCall>",
        "<methodCall><methodName>x</methodName><params><param><value><double>nan</double>"
        "</value></param></params></methodCall>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(decode(bad[i]) < 0, "accepted #%zu", i);
        ck_assert_msg(E[0], "no message for #%zu", i);
        ck_assert_ptr_null(C.method);
    }
    /* nesting beyond the limit */
    char doc[8192] = "<methodCall><methodName>x</methodName><params><param>";
    for (int i = 0; i < XMLRPC_MAX_DEPTH + 2; i++)
        strcat(doc, "<value><array><data>");
    strcat(doc, "<value>x</value>");
    for (int i = 0; i < XMLRPC_MAX_DEPTH + 2; i++)
        strcat(doc, "</data></array></value>");
    strcat(doc, "</param></params></methodCall>");
    ck_assert_int_lt(decode(doc), 0);
    ck_assert_msg(strstr(E, "deep"), "%s", E);
}
END_TEST

START_TEST(test_encode)
{
    struct xbuf b = {0};
    xe_string(&b, "a<b>&c\x01\xff\xc3\xa9\r");
    ck_assert_str_eq(b.p, "<value><string>a&lt;b&gt;&amp;c\xef\xbf\xbd\xef\xbf\xbd\xc3\xa9&#13;"
                          "</string></value>");
    xb_free(&b);
    xe_struct_begin(&b);
    xe_member(&b, "n");
    xe_int(&b, -5);
    xe_member_end(&b);
    xe_struct_end(&b);
    ck_assert_str_eq(b.p, "<value><struct><member><name>n</name><value><int>-5</int></value>"
                          "</member></struct></value>");
    struct xbuf doc = {0};
    xmlrpc_response(&doc, b.p, b.len);
    ck_assert_ptr_nonnull(strstr(doc.p, "<methodResponse>\n<params>\n<param>\n<value><struct>"));
    xb_free(&doc);
    xmlrpc_fault(&doc, 10, "BAD_NAME: x&y");
    ck_assert_ptr_nonnull(strstr(doc.p, "<fault>\n<value><struct><member><name>faultCode</name>"
                                        "<value><int>10</int></value></member><member><name>"
                                        "faultString</name><value><string>BAD_NAME: x&amp;y"));
    ck_assert(!doc.oom);
    xb_free(&doc);
    xb_free(&b);
    /* what the encoder writes, the decoder reads back */
    struct xbuf call = {0};
    xb_puts(&call, "<methodCall><methodName>m</methodName><params><param>");
    xe_string(&call, "x\x02<y>");
    xb_puts(&call, "</param></params></methodCall>");
    ck_assert_int_eq(xmlrpc_decode_call(call.p, call.len, &C, E, sizeof E), 0);
    ck_assert_str_eq(C.params[0].s, "x\xef\xbf\xbd<y>");
    xb_free(&call);
    /* blanks around a string are its own (numbers are trimmed, strings not) */
    ck_assert_int_eq(decode("<methodCall><methodName>m</methodName><params><param><value>"
                            "<string> a b </string></value></param><param><value><int> 7 </int>"
                            "</value></param></params></methodCall>"), 0);
    ck_assert_uint_eq(C.params[0].slen, 5);
    ck_assert_str_eq(C.params[0].s, " a b ");
    ck_assert_int_eq(C.params[1].i, 7);
}
END_TEST

/* The parser and the answer buffers are kept between calls: a call after a
 * failed one, after a big one, and after xmlrpc_release decodes as a first
 * one; a buffer taken from the spares starts empty. */
START_TEST(test_reuse_between_calls)
{
    const char *ok = "<?xml version='1.0'?><methodCall><methodName>m.one</methodName>"
                     "<params><param><value><string>abc</string></value></param></params>"
                     "</methodCall>";
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(decode("<methodCall><methodName>x</methodName><params>"), -1);
        ck_assert_int_eq(decode(ok), 0);
        ck_assert_str_eq(C.method, "m.one");
        ck_assert_uint_eq(C.nparams, 1);
        ck_assert_str_eq(C.params[0].s, "abc");
        /* over 64 KiB: the parser is not kept with its copy of it */
        size_t n = 100 * 1024;
        char *big = malloc(n + 256);
        ck_assert_ptr_nonnull(big);
        int k = snprintf(big, 256, "<methodCall><methodName>m.big</methodName><params><param>"
                                   "<value><string>");
        memset(big + k, 'x', n);
        strcpy(big + k + n, "</string></value></param></params></methodCall>");
        ck_assert_int_eq(decode(big), 0);
        ck_assert_str_eq(C.method, "m.big");
        ck_assert_uint_eq(C.params[0].slen, n);
        free(big);
        ck_assert_int_eq(decode(ok), 0);
        ck_assert_str_eq(C.params[0].s, "abc");

        struct xbuf b = {0};
        xb_puts(&b, "a long enough first answer to be kept as a spare");
        xb_free(&b);
        xb_reserve(&b, 10);
        ck_assert_ptr_nonnull(b.p);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_str_eq(b.p, "");
        xb_puts(&b, "second");
        ck_assert_str_eq(b.p, "second");
        xb_free(&b);
        xmlrpc_release();
    }
}
END_TEST

START_TEST(test_http_head)
{
    struct http_head h;
    const char *req = "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n"
                      "Connection: keep-alive, Upgrade\r\nAuthorization:  Basic dTpw \r\n\r\nbody";
    long n = http_parse_head(req, strlen(req), &h);
    ck_assert_int_eq(n, (long)(strstr(req, "body") - req));
    ck_assert_int_eq((int)h.method_len, 4);
    ck_assert(!strncmp(h.path, "/RPC2", h.path_len) && h.path_len == 5);
    ck_assert_int_eq(h.minor, 1);
    ck_assert(h.has_length && h.content_length == 12);
    ck_assert(h.conn_keep_alive && !h.conn_close);
    ck_assert(h.auth_len == 10 && !strncmp(h.auth, "Basic dTpw", 10));
    /* incomplete: more bytes needed */
    ck_assert_int_eq(http_parse_head(req, 30, &h), 0);
    /* bare LF lines are tolerated */
    ck_assert_int_gt(http_parse_head("GET / HTTP/1.0\nX: y\n\n", 21, &h), 0);
    static const char *const bad[] = {
        "garbage\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "GET / HTTP/1.1\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(http_parse_head(bad[i], strlen(bad[i]), &h) < 0, "accepted #%zu", i);
    /* no end within the limit */
    static char big[HTTP_MAX_HEAD + 10];
    memset(big, 'a', sizeof big);
    ck_assert_int_lt(http_parse_head(big, sizeof big, &h), 0);
    const char *te = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    ck_assert_int_gt(http_parse_head(te, strlen(te), &h), 0);
    ck_assert(h.chunked);
}
END_TEST

START_TEST(test_auth_helpers)
{
    unsigned char out[64];
    ck_assert_int_eq(http_base64_decode("dXNlcjpwYXNz", 12, out, sizeof out), 9);
    ck_assert(!memcmp(out, "user:pass", 9));
    ck_assert_int_eq(http_base64_decode("YQ==", 4, out, sizeof out), 1);
    ck_assert_int_lt(http_base64_decode("YQ=", 3, out, sizeof out), 0);
    ck_assert_int_lt(http_base64_decode("Y=Q=", 4, out, sizeof out), 0);
    ck_assert_int_lt(http_base64_decode("dXNl!", 5, out, sizeof out), 0);
    unsigned char d[20];
    http_sha1("abc", 3, d);
    ck_assert(!memcmp(d, "\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c"
                         "\x9c\xd0\xd8\x9d", 20));
    /* 56 bytes: the padding takes a second block */
    http_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
    ck_assert(!memcmp(d, "\x84\x98\x3e\x44\x1c\x3b\xd2\x6e\xba\xae\x4a\xa1\xf9\x51\x29\xe5"
                         "\xe5\x46\x70\xf1", 20));
    ck_assert(http_check_password("u:p", 3, "u", "p"));
    ck_assert(!http_check_password("u:q", 3, "u", "p"));
    ck_assert(!http_check_password("v:p", 3, "u", "p"));
    ck_assert(!http_check_password("up", 2, "u", "p"));
    ck_assert(!http_check_password("u:pp", 4, "u", "p"));
    /* {SHA}: hex digest of "test", either case */
    ck_assert(http_check_password("u:test", 6, "u", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"));
    ck_assert(http_check_password("u:test", 6, "u", "{SHA}A94A8FE5CCB19BA61C4C0873D391E987982FBBD3"));
    ck_assert(!http_check_password("u:tesT", 6, "u", "{SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"));
}
END_TEST

START_TEST(test_conf_sections)
{
    struct tend_config *c = t_load(
        "[unix_http_server]\nfile = run/sup.sock\nchmod = 0770\nchown = 0:0\n"
        "username = u\npassword = {SHA}a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\n"
        "[inet_http_server]\nport = *:9001\nusername = u\npassword = p\n");
    t_ok(c);
    ck_assert_int_eq(t_d.nwarnings, 0);
    ck_assert(c->unix_http.enabled && c->inet_http.enabled);
    char want[600];
    snprintf(want, sizeof want, "%s/run/sup.sock", t_dir);
    ck_assert_str_eq(c->unix_http.file, want);
    ck_assert_uint_eq(c->unix_http.chmod, 0770);
    ck_assert(c->unix_http.chown_set);
    ck_assert_str_eq(c->unix_http.username, "u");
    ck_assert_str_eq(c->inet_http.host, "");
    ck_assert_int_eq(c->inet_http.port, 9001);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_dump(c, f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "[unix_http_server]\nfile = "));
    ck_assert_ptr_nonnull(strstr(buf, "chmod = 0770\n"));
    ck_assert_ptr_nonnull(strstr(buf, "[inet_http_server]\nport = *:9001\n"));
    ck_assert_ptr_null(strstr(buf, "{SHA}"));   /* never the password */
    free(buf);
    conf_free(c);
    conf_diags_free(&t_d);
    memset(&t_d, 0, sizeof t_d);

    c = t_load("[inet_http_server]\nport = 127.0.0.1:9001\n"
               "[unix_http_server]\nfile = /tmp/x.sock\nfiel = 1\n");        /* 3, 5 */
    t_ok(c);
    t_has_warning(1, "[inet_http_server] has no username");
    t_has_warning(5, "unknown key 'fiel' in [unix_http_server]; did you mean file?");
    ck_assert_int_eq(c->inet_http.port, 9001);
    ck_assert_str_eq(c->inet_http.host, "127.0.0.1");
    conf_free(c);
    ck_assert_int_eq(t_d.nerrors, 0);
    conf_diags_free(&t_d);
    memset(&t_d, 0, sizeof t_d);

    c = t_load("[unix_http_server]\nchmod = 0999\n"                  /* 1, 2 */
               "[inet_http_server]\nport = 70000\npassword = x\n"); /* 3, 4 */
    ck_assert_ptr_null(c);
    t_has_error(2, "chmod: invalid value '0999'");
    t_has_error(1, "[unix_http_server] needs file = PATH");
    t_has_error(4, "port: invalid value '70000'");
    t_has_error(3, "password without username");
    conf_diags_free(&t_d);
    memset(&t_d, 0, sizeof t_d);
    c = t_load("[inet_http_server]\nport = [::1]:9001\nusername = u\npassword = {SHA}abc\n");
    ck_assert_ptr_null(c);
    t_has_error(1, "a {SHA} password needs 40 hex digits");
}
END_TEST

static Suite *xmlrpc_suite(void)
{
    Suite *s = suite_create("xmlrpc");
    TCase *tc = tcase_create("xmlrpc");
    tcase_add_checked_fixture(tc, NULL, unit_teardown);
    tcase_add_test(tc, test_decode_types);
    tcase_add_test(tc, test_decode_errors);
    tcase_add_test(tc, test_encode);
    tcase_add_test(tc, test_reuse_between_calls);
    suite_add_tcase(s, tc);
    tc = tcase_create("http");
    tcase_add_test(tc, test_http_head);
    tcase_add_test(tc, test_auth_helpers);
    suite_add_tcase(s, tc);
    tc = tcase_create("conf");
    tcase_add_checked_fixture(tc, t_setup, t_teardown);
    tcase_add_test(tc, test_conf_sections);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(xmlrpc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
