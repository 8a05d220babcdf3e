/* HTML timeline: one self-contained page (inline CSS and JS, no server, no network).
 * Rows are written as static HTML, so the page shows every span even with scripts off;
 * the script only folds subtrees when a row is clicked. One section per trace; a span's
 * bar is placed on the trace's time axis, its label indented by depth. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "spans.h"

static void html_escape(FILE *out, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '&':
                        fputs("&amp;", out);
                        break;
                case '<':
                        fputs("&lt;", out);
                        break;
                case '>':
                        fputs("&gt;", out);
                        break;
                case '"':
                        fputs("&quot;", out);
                        break;
                case '\'':
                        fputs("&#39;", out);
                        break;
                default:
                        fputc(*s, out);
                }
        }
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>kata spans</title>\n<style>\n"
    "body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222;background:#fff}\n"
    "h1{font-size:18px;margin:0 0 4px}h2{font-size:14px;margin:18px 0 4px}\n"
    ".summary{color:#555;margin-bottom:8px}\n"
    ".row{display:flex;align-items:center;height:20px;border-bottom:1px solid #f0f0f0;"
    "cursor:default}\n.row:hover{background:#f6f8ff}\n"
    ".label{width:340px;flex:none;box-sizing:border-box;white-space:nowrap;overflow:hidden;text-"
    "overflow:ellipsis}\n"
    ".dur{width:90px;flex:none;text-align:right;padding-right:8px;color:#555;"
    "font-variant-numeric:tabular-nums}\n"
    ".lane{position:relative;flex:1;height:14px;background:#fafafa}\n"
    ".bar{position:absolute;top:0;height:14px;min-width:2px;border-radius:2px}\n"
    ".src-runtime{background:#4a7bd0}.src-agent{background:#3aa06a}.src-other{background:#a07a3a}\n"
    ".error .label{color:#c00}.orphan .label{color:#b60}\n"
    ".has-children>.label::before{content:'\\25BE  ';color:#888}\n"
    ".folded>.label::before{content:'\\25B8  '}\n.hidden{display:none}\n"
    ".legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}\n"
    "</style>\n</head>\n<body>\n";

static const char page_script[] =
    "<script>\n"
    "document.querySelectorAll('.row.has-children').forEach(function(r){\n"
    "  r.addEventListener('click',function(){\n"
    "    var d=+r.dataset.depth,fold=!r.classList.contains('folded');\n"
    "    r.classList.toggle('folded',fold);\n"
    "    for(var n=r.nextElementSibling;n&&+n.dataset.depth>d;n=n.nextElementSibling){\n"
    "      n.classList.toggle('hidden',fold);if(!fold)n.classList.remove('folded');}\n"
    "  });\n"
    "});\n"
    "</script>\n";

static void write_row(FILE *out, const kata_span *s, const kata_span_trace *tr)
{
        uint64_t span = tr->end_ns > tr->start_ns ? tr->end_ns - tr->start_ns : 1;
        double left = 100.0 * (double)(s->start_ns - tr->start_ns) / (double)span;
        double width = 100.0 * (double)kata_span_duration_ns(s) / (double)span;
        if (left > 100.0)
                left = 100.0;
        if (left + width > 100.0)
                width = 100.0 - left;
        char d[32];
        kata_spans_format_duration(kata_span_duration_ns(s), d, sizeof(d));
        const char *src = strcmp(s->source, "runtime") == 0 ? "runtime"
                          : strcmp(s->source, "agent") == 0 ? "agent"
                                                            : "other";
        fprintf(out, "<div class=\"row%s%s%s\" data-depth=\"%u\" title=\"",
                s->n_children ? " has-children" : "",
                strcmp(s->status, "error") == 0 ? " error" : "", s->orphan_reason ? " orphan" : "",
                s->depth);
        html_escape(out, s->source);
        fputs(" span ", out);
        html_escape(out, s->span_id);
        if (*s->container_id) {
                fputs(" container ", out);
                html_escape(out, s->container_id);
        }
        fputs(" ", out);
        html_escape(out, s->attributes);
        if (s->orphan_reason) {
                fputs(" orphan: ", out);
                html_escape(out, s->orphan_reason);
        }
        fprintf(out, "\"><span class=\"label\" style=\"padding-left:%upx\">", s->depth * 16);
        html_escape(out, s->name);
        fprintf(out,
                "</span><span class=\"dur\">%s</span><div class=\"lane\"><div class=\"bar "
                "src-%s\" style=\"left:%.3f%%;width:%.3f%%\"></div></div></div>\n",
                d, src, left, width);
        for (size_t i = 0; i < s->n_children; i++)
                write_row(out, s->children[i], tr);
}

int kata_spans_report_html(const kata_span_set *set, FILE *out, kata_error *err)
{
        char d[32];
        fputs(page_head, out);
        fprintf(out,
                "<h1>kata spans</h1>\n<div class=\"summary\">%zu spans, %zu traces, %zu "
                "roots, %zu orphans",
                set->n_spans, set->n_traces, set->n_roots, set->n_orphans);
        if (set->duplicates)
                fprintf(out, ", %zu duplicates dropped", set->duplicates);
        if (set->lost || set->lost_unknown)
                fprintf(out, ", %s%" PRIu64 " events lost by the tracer",
                        set->lost_unknown ? "at least " : "", set->lost);
        fputs("<span class=\"legend\"><span class=\"src-runtime\"></span>runtime<span "
              "class=\"src-agent\"></span>agent</span></div>\n",
              out);
        for (size_t t = 0; t < set->n_traces; t++) {
                const kata_span_trace *tr = &set->traces[t];
                fputs("<section class=\"trace\">\n<h2>", out);
                html_escape(out, tr->n_tops ? tr->tops[0]->name : "trace");
                fprintf(out, " &middot; %zu spans &middot; %s", tr->n_spans,
                        kata_spans_format_duration(tr->end_ns - tr->start_ns, d, sizeof(d)));
                if (tr->n_tops && *tr->tops[0]->sandbox_id) {
                        fputs(" &middot; sandbox ", out);
                        html_escape(out, tr->tops[0]->sandbox_id);
                }
                fprintf(out, " <small>trace %s</small></h2>\n", tr->trace_id);
                for (size_t i = 0; i < tr->n_tops; i++)
                        write_row(out, tr->tops[i], tr);
                fputs("</section>\n", out);
        }
        fputs(page_script, out);
        fputs("</body>\n</html>\n", out);
        (void)err;
        return 0;
}
