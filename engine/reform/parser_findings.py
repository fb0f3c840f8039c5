"""What the BPMN parser and the XML schema say, told to a designer: in Vietnamese and English, in plain words,
with what to change and the element (or process) it is about.

SpiffWorkflow and libxml2 speak engine and library English ("Process X is not executable.", "Element '{ns}x':
The attribute 'y' is required but missing."). Each known message is a pattern here, kept as data; one that is
not known yet gets a plain sentence naming the line or element, and the original in English after it, marked
as the engine's words, so nothing is lost for whoever must look deeper (bench/corpus.py counts them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import Problem

# "<file>[ (line N)]: <message>", as engine/procedures/specs.py and xmlsafe.py write them
_WHERE = re.compile(r"^(?P<file>[^:]+?)(?: \(line (?P<line>\d+)\))?: (?P<message>.*)$", re.S)
_NAMESPACE = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Explained:
    code: str
    element: str | None
    message_vi: str
    message_en: str
    line: int | None = None  # where in the file, when the parser said: the element can be found from it


@dataclass(frozen=True)
class _Pattern:
    code: str
    pattern: re.Pattern[str]
    vi: str
    en: str
    element: str | None = None  # the group naming the element


def _p(code: str, pattern: str, vi: str, en: str, element: str | None = None) -> _Pattern:
    return _Pattern(code, re.compile(pattern, re.S), vi, en, element)


PATTERNS = (
    _p("process-not-executable", r"^Process (?P<id>\S+) is not executable\.",
       "Quy trình “{id}” chưa được đánh dấu là chạy được. Trong trình thiết kế, chọn quy trình (bấm vào nền sơ đồ) "
       "và tích ô “Executable” (thực thi được), rồi lưu lại.",
       "Process “{id}” is not marked executable. In the modeler, select the process (click the canvas), tick "
       "“Executable” and save again.", "id"),
    _p("process-not-found", r"^The process '(?P<id>[^']*)' was not found\. Did you mean one of the following: "
       r"(?P<ids>[^?]*)\?",
       "Sơ đồ không có quy trình “{id}” mà process_id của procedure.toml chỉ tới. Các quy trình có trong sơ đồ: "
       "{ids}. Hãy đặt process_id là mã của quy trình cần chạy.",
       "The diagram has no process “{id}”, which procedure.toml's process_id names. Processes in the diagram: "
       "{ids}. Set process_id to the id of the process to run."),
    _p("no-start-event", r"^No start event found",
       "Quy trình không có sự kiện bắt đầu. Hãy vẽ một sự kiện bắt đầu (vòng tròn nét mảnh) và nối nó với bước "
       "đầu tiên.",
       "The process has no start event. Draw a start event (a thin circle) and connect it to the first step."),
    _p("timer-bad-spec", r"^Time Specification Error",
       "Hẹn giờ có biểu thức thời gian không đọc được. Dùng dạng ISO 8601: thời lượng như PT2H (2 giờ) hoặc P3D "
       "(3 ngày), thời điểm như 2026-01-01T08:00:00, lặp lại như R3/PT1H; hoặc thuộc tính workingDuration cho "
       "thời gian làm việc.",
       "A timer's time expression cannot be read. Use ISO 8601: a duration such as PT2H (2 hours) or P3D (3 "
       "days), a date such as 2026-01-01T08:00:00, a cycle such as R3/PT1H; or the workingDuration property "
       "for working time."),
    _p("data-store-unsupported", r"^Data Store with name (?P<name>.+?) has no implementation",
       "Kho dữ liệu “{name}” được vẽ nhưng Motcua chưa có kho dữ liệu nào để nối vào. Nếu chỉ để minh họa, hãy "
       "xóa nó khỏi sơ đồ hoặc thay bằng một chú thích (text annotation).",
       "Data store “{name}” is drawn, but Motcua has no data store to connect it to. If it is only "
       "documentation, remove it or use a text annotation instead."),
    _p("dmn-not-found", r'^No DMN Diagram available with id "(?P<id>[^"]*)"',
       "Bước quyết định (business rule) tham chiếu bảng quyết định DMN “{id}” nhưng gói quy trình không có bảng "
       "đó. Hãy thêm tệp DMN vào gói (dmn trong procedure.toml) hoặc sửa mã bảng quyết định của bước.",
       "A business rule step refers to the DMN decision “{id}”, which the package does not have. Add the DMN "
       "file to the package (dmn in procedure.toml) or correct the step's decision reference."),
    _p("timer-bad-spec", r"^Unknown Time Specification",
       "Hẹn giờ có biểu thức thời gian không đọc được. Dùng dạng ISO 8601 đặt trong dấu nháy: \"PT2H\" (2 giờ), "
       "\"P3D\" (3 ngày), \"2026-01-01T08:00:00\"; hoặc thuộc tính workingDuration cho thời gian làm việc.",
       "A timer's time expression cannot be read. Use ISO 8601 in quotes: \"PT2H\" (2 hours), \"P3D\" (3 days), "
       "\"2026-01-01T08:00:00\"; or the workingDuration property for working time."),
    _p("service-task-unsupported", r"^A Service Task must have an operator",
       "Motcua không chạy bước dịch vụ (service task) gọi hệ thống ngoài. Hãy đổi nó thành bước do người xử lý "
       "(user task) hoặc bước tập lệnh (script task) tính toán từ dữ liệu hồ sơ.",
       "Motcua runs no service task calling another system. Change it into a step a person works (user task) or "
       "a script task computing from the dossier's data."),
    _p("cancel-outside-transaction", r"^Cancel Events may only be used with transactions",
       "Sự kiện hủy (cancel) chỉ dùng được trên hoặc trong một giao dịch (transaction). Hãy đổi quy trình con "
       "thành giao dịch, hoặc dùng sự kiện lỗi (error) thay cho sự kiện hủy.",
       "A cancel event may only be used on or in a transaction. Make the sub-process a transaction, or use an "
       "error event instead of the cancel event."),
    _p("multi-instance-incomplete", r"^A multiinstance task must specify (?:exactly one of |a )?cardinality or "
       r"(?:a )?loop input",
       "Bước lặp nhiều phiên bản phải có đúng một trong hai: số lần (cardinality) hoặc danh sách đầu vào (input "
       "collection). Hãy điền một trong hai trong phần Multi-instance của bước.",
       "A multi-instance step needs exactly one of: a cardinality or an input collection. Fill in one of them "
       "in the step's Multi-instance section."),
    _p("loop-incomplete", r"^A loopMaximum or loopCondition must be specified",
       "Bước lặp phải có điều kiện lặp (loopCondition) hoặc số lần tối đa (loopMaximum), nếu không nó lặp mãi. "
       "Hãy điền một trong hai.",
       "A loop step needs a loop condition or a maximum count, or it would loop for ever. Fill in one of them."),
    _p("not-bpmn", r"No matching global declaration available for the validation root",
       "Tệp không phải sơ đồ BPMN 2.0: phần tử gốc không phải <definitions> trong không gian tên BPMN 2.0 "
       "(http://www.omg.org/spec/BPMN/20100524/MODEL). Hãy xuất lại sơ đồ dưới dạng BPMN 2.0 từ trình thiết kế.",
       "The file is not a BPMN 2.0 diagram: its root is not <definitions> in the BPMN 2.0 namespace "
       "(http://www.omg.org/spec/BPMN/20100524/MODEL). Export the diagram as BPMN 2.0 from the modeler."),
    _p("subprocess-start-events", r"^Exactly one start event is required in a SubWorkflow",
       "Quy trình con phải có đúng một sự kiện bắt đầu thường. Hãy giữ một sự kiện bắt đầu và nối nó với bước "
       "đầu tiên của quy trình con.",
       "A sub-process needs exactly one plain start event. Keep one start event and connect it to the "
       "sub-process's first step."),
    _p("subprocess-no-end", r"^A SubWorkflow Must contain an End event",
       "Quy trình con phải có ít nhất một sự kiện kết thúc. Hãy vẽ sự kiện kết thúc và nối bước cuối vào đó.",
       "A sub-process needs at least one end event. Draw one and connect the last step to it."),
    _p("ad-hoc-events", r"^Ad hoc subprocesses may not contain start or end events",
       "Quy trình con tùy biến (ad-hoc) không được chứa sự kiện bắt đầu hay kết thúc: các bước của nó chạy "
       "không theo luồng. Hãy xóa các sự kiện đó.",
       "An ad-hoc sub-process may not contain start or end events: its steps run without flows. Remove them."),
    _p("ad-hoc-sequential", r"^Sequential ordering for ad hoc subprocesses not supported",
       "Quy trình con tùy biến (ad-hoc) chỉ chạy song song. Hãy đặt thứ tự (ordering) là Parallel.",
       "An ad-hoc sub-process runs in parallel only. Set its ordering to Parallel."),
    _p("script-task-empty", r"^Invalid Script Task\.\s+No Script Provided",
       "Bước tập lệnh chưa có tập lệnh. Hãy viết tập lệnh (Python) cho bước, hoặc đổi nó thành bước thường.",
       "The script task has no script. Write its script (Python), or change it into a plain task."),
    _p("flow-no-condition", r"^Non-default exclusive outgoing sequence flow without condition",
       "Một luồng ra khỏi cổng loại trừ không có điều kiện và không phải luồng mặc định. Hãy đặt điều kiện cho "
       "luồng, hoặc chọn nó làm luồng mặc định của cổng.",
       "A flow leaving an exclusive gateway has no condition and is not the default. Give the flow a condition, "
       "or make it the gateway's default flow."),
    _p("message-unknown", r"^Could not find messageRef from message event definition",
       "Sự kiện thông điệp chỉ tới một thông điệp (message) không có trong sơ đồ. Hãy chọn lại thông điệp của sự "
       "kiện.",
       "A message event refers to a message the diagram does not define. Choose the event's message again."),
    _p("identifier-missing", r"^(?P<what>Error|Escalation|Signal|Message|Correlation|Data Store) "
       r"(?:identifier|name) is missing from bpmn xml",
       "Một định nghĩa {what} trong sơ đồ thiếu mã (id) hoặc tên. Mở tệp bằng trình thiết kế, đặt mã và tên cho "
       "nó, rồi lưu lại.",
       "A {what} definition in the diagram lacks its id or name. Open the file in the modeler, give it an id "
       "and a name, and save again."),
    _p("data-association-unresolved", r"^Cannot resolve data(?:Input|Output)Association",
       "Một liên kết dữ liệu của bước chỉ tới đối tượng dữ liệu không có trong sơ đồ. Hãy xóa liên kết đó hoặc "
       "nối lại với một đối tượng dữ liệu.",
       "A data association of the step points at a data object the diagram does not have. Remove the "
       "association or connect it to a data object again."),
    _p("duplicate-process", r"^Duplicate process ID: (?P<id>\S+)",
       "Hai quy trình trong các tệp có cùng mã “{id}”. Hãy đổi mã của một trong hai.",
       "Two processes share the id “{id}”. Rename one of them.", "id"),
    _p("event-unsupported", r"Unsupported Catch Event",
       "Bộ máy quy trình của Motcua chưa chạy được loại sự kiện bắt này (ví dụ sự kiện bù trừ - compensation, "
       "gắn trên bước). Hãy xóa nó, hoặc thay bằng sự kiện lỗi (error), hẹn giờ (timer) hay thông điệp "
       "(message).",
       "Motcua's process engine does not run this kind of catch event (a compensation event on a step, say). "
       "Remove it, or use an error, timer or message event instead."),
    _p("schema-missing-attribute", r"Element '(?P<tag>[^']+)': The attribute '(?P<attribute>[^']+)' is required "
       r"but missing",
       "Phần tử <{tag}> (dòng {line}) thiếu thuộc tính bắt buộc “{attribute}” theo chuẩn BPMN 2.0. Mở tệp bằng "
       "trình thiết kế và lưu lại thường sẽ bổ sung; nếu tệp được sửa tay, hãy thêm thuộc tính đó.",
       "Element <{tag}> (line {line}) lacks the attribute “{attribute}” that BPMN 2.0 requires. Opening the file "
       "in the modeler and saving it again usually adds it; if it was edited by hand, add the attribute."),
    _p("schema-missing-child", r"Element '(?P<tag>[^']+)': Missing child element\(s\)\. Expected is (?:one of )?"
       r"\(\s*(?P<expected>[^)]*?)\s*\)",
       "Phần tử <{tag}> (dòng {line}) thiếu phần tử con bắt buộc theo chuẩn BPMN 2.0 (cần: {expected}).",
       "Element <{tag}> (line {line}) lacks a child element that BPMN 2.0 requires (expected: {expected})."),
    _p("schema-bad-value", r"Element '(?P<tag>[^']+)', attribute '(?P<attribute>[^']+)': '(?P<value>[^']*)' is "
       r"not a valid value",
       "Thuộc tính “{attribute}” của phần tử <{tag}> (dòng {line}) có giá trị “{value}” không hợp lệ theo chuẩn "
       "BPMN 2.0.",
       "The attribute “{attribute}” of element <{tag}> (line {line}) has the value “{value}”, which BPMN 2.0 does "
       "not allow."),
    _p("schema-unknown-attribute", r"Element '(?P<tag>[^']+)', attribute '(?P<attribute>[^']+)': The attribute "
       r"'[^']*' is not allowed",
       "Phần tử <{tag}> (dòng {line}) có thuộc tính “{attribute}” mà chuẩn BPMN 2.0 không có. Nếu đó là phần mở "
       "rộng của một công cụ vẽ khác, thuộc tính phải nằm trong không gian tên (namespace) riêng của công cụ đó; "
       "nếu không, hãy xóa nó.",
       "Element <{tag}> (line {line}) has the attribute “{attribute}”, which BPMN 2.0 does not define. If it is "
       "another modeler's extension it must be in that tool's own namespace; otherwise remove it."),
    _p("schema-unexpected-element", r"Element '(?P<tag>[^']+)': This element is not expected",
       "Phần tử <{tag}> (dòng {line}) không được phép ở vị trí này theo chuẩn BPMN 2.0 (thường do một phần mở "
       "rộng riêng của công cụ vẽ khác). Hãy xóa hoặc di chuyển nó.",
       "Element <{tag}> (line {line}) is not allowed here by BPMN 2.0 (often another modeler's own extension). "
       "Remove or move it."),
)
_XML_POSITION = re.compile(r"line (?P<line>\d+), column (?P<column>\d+)")


# Motcua's own checks of a package (engine/procedures), which speak English: what to change, in both languages.
OWN: dict[str, tuple[str, str]] = {
    "bpmn-reserved-id": ("Mã của một phần tử trùng với tên bộ máy quy trình dùng riêng (Start, End, Root hoặc đuôi "
                         ".EndJoin, .BoundaryEventSplit…). Hãy đổi mã (id) của phần tử đó trong trình thiết kế.",
                         "An element's id is one the process engine keeps for itself (Start, End, Root, or ending "
                         "in .EndJoin, .BoundaryEventSplit…). Change that element's id in the modeler."),
    "bpmn-too-large": ("Sơ đồ lớn hơn mức một thủ tục cần. Hãy chia thủ tục thành các bước gọn hơn hoặc bỏ phần "
                       "thừa.", "The diagram is larger than any procedure needs. Split it into fewer steps or "
                       "remove what is not needed."),
    "form-unknown": ("Một bước gắn biểu mẫu (formKey) không có trong gói thủ tục. Hãy thêm biểu mẫu đó, hoặc sửa "
                     "formKey của bước.", "A step names a form (formKey) the package does not have. Add that "
                     "form, or correct the step's formKey."),
    "file-missing": ("Một tệp được nêu trong procedure.toml không có trong gói. Hãy thêm tệp, hoặc sửa tên tệp "
                     "trong procedure.toml.", "A file procedure.toml names is not in the package. Add the "
                     "file, or correct its name in procedure.toml."),
    "file-too-large": ("Một tệp của gói lớn hơn mức cho phép. Hãy thu gọn tệp.", "A file of the package is "
                       "larger than allowed. Make it smaller."),
    "xml-doctype": ("Tệp XML có khai báo DOCTYPE, điều Motcua không nhận vì lý do an toàn. Hãy xuất lại tệp từ "
                    "trình thiết kế, không có DOCTYPE.", "The XML file has a DOCTYPE, which Motcua refuses for "
                    "safety. Export the file again from the modeler, without a DOCTYPE."),
    "metadata-missing": ("Gói thủ tục thiếu tệp procedure.toml mô tả thủ tục. Hãy thêm tệp đó.",
                         "The package lacks procedure.toml, which describes the procedure. Add it."),
    "metadata-syntax": ("Tệp procedure.toml không đọc được (sai cú pháp TOML). Hãy sửa tệp.",
                        "procedure.toml cannot be read (TOML syntax). Correct the file."),
    "metadata-invalid": ("Tệp procedure.toml có thông tin chưa đúng. Hãy sửa mục được nêu.",
                         "procedure.toml has a value that is not right. Correct the item named."),
    "form-syntax": ("Một biểu mẫu không đọc được như JSON. Hãy xuất lại biểu mẫu từ trình soạn biểu mẫu.",
                    "A form cannot be read as JSON. Export it again from the form editor."),
    "form-invalid": ("Một biểu mẫu có trường chưa đúng. Hãy sửa trường được nêu trong trình soạn biểu mẫu.",
                     "A form has a field that is not right. Correct the field named in the form editor."),
    "form-bad-key": ("Khóa (key) của một trường biểu mẫu phải là tên biến: chữ không dấu, số và “_”, không bắt "
                     "đầu bằng số. Hãy đổi khóa.", "A form field's key must be a variable name: letters, "
                     "digits and “_”, not starting with a digit. Change the key."),
    "form-duplicate-key": ("Hai trường của một biểu mẫu có cùng khóa (key). Hãy đổi khóa của một trường.",
                           "Two fields of a form share a key. Change one of them."),
    "form-too-deep": ("Biểu mẫu lồng nhóm trong nhóm quá sâu. Hãy bớt các tầng nhóm.",
                      "The form nests groups too deeply. Remove some levels."),
    "form-unknown-component": ("Biểu mẫu có loại trường Motcua không hiểu. Hãy dùng các loại trường có sẵn của "
                               "trình soạn biểu mẫu.", "The form has a kind of field Motcua does not know. Use the "
                               "form editor's own field kinds."),
}

# Motcua's sandbox refusing a script or expression (engine/procedures/sandbox.py): its reasons, said plainly.
SCRIPT_CODES = {"script-rejected", "script-syntax", "script-too-deep", "dmn-rejected"}
SCRIPT_REASONS = (
    ("imports are not allowed", "không được dùng import (các hàm date, datetime, timedelta, Decimal, floor, ceil "
     "đã có sẵn)", "imports are not allowed (date, datetime, timedelta, Decimal, floor and ceil are there already)"),
    ("while loops are not allowed", "không được dùng vòng lặp while; hãy dùng for trên một range có giới hạn",
     "while loops are not allowed; use for over a bounded range"),
    ("class definitions are not allowed", "không được định nghĩa class", "class definitions are not allowed"),
    ("SyntaxError", "có lỗi cú pháp Python", "it has a Python syntax error"),
    ("starts with \"_\"", "không được dùng tên bắt đầu bằng dấu gạch dưới “_”", "names starting with “_” are not "
     "allowed"),
    ("nested", "lồng nhau quá sâu", "it is nested too deeply"),
    ("longer than", "quá dài", "it is too long"),
)


def _script(problem: Problem) -> Explained:
    detail = problem.message.split(": ", 1)[1] if problem.element and problem.message.startswith(
        f"{problem.element}: ") else problem.message
    vi, en = next(((v, e) for key, v, e in SCRIPT_REASONS if key in detail),
                  ("Motcua không chạy được", "Motcua cannot run it"))
    what_vi, what_en = ("Bảng quyết định", "The decision table") if problem.code == "dmn-rejected" else (
        "Tập lệnh hoặc biểu thức", "The script or expression")
    where_vi = f" của “{problem.element}”" if problem.element else ""
    where_en = f" of “{problem.element}”" if problem.element else ""
    return Explained(problem.code, problem.element,
                     f"{what_vi}{where_vi} không được chấp nhận: {vi}. Hãy sửa lại cho đúng. Chi tiết (tiếng "
                     f"Anh): “{detail[:300]}”",
                     f"{what_en}{where_en} is refused: {en}. Correct it. Details: “{detail[:300]}”")


def _short(tag: str) -> str:
    return _NAMESPACE.sub("", tag)


def explain(problem: Problem) -> Explained:
    """A parser or schema problem as a designer's finding (unchanged codes and messages for everything else:
    Motcua's own problems are already written for people)."""
    if problem.code in SCRIPT_CODES:
        return _script(problem)
    if problem.code in OWN:
        vi, en = OWN[problem.code]
        return Explained(problem.code, problem.element, f"{vi} Chi tiết (tiếng Anh): “{problem.message[:300]}”",
                         f"{en} Details: “{problem.message[:300]}”")
    if problem.code not in ("bpmn-invalid", "xml-syntax"):
        return Explained(problem.code, problem.element, problem.message, problem.message)
    where = _WHERE.match(problem.message)
    file, line, message = (where["file"], where["line"], where["message"]) if where else (
        problem.file or "", None, problem.message)
    message = message.strip()
    if problem.code == "xml-syntax":
        position = _XML_POSITION.search(message)
        at_vi = f" ở dòng {position['line']}, cột {position['column']}" if position else ""
        at_en = f" at line {position['line']}, column {position['column']}" if position else ""
        return Explained("xml-syntax", None,
                         f"Tệp “{file}” không đọc được như XML{at_vi}: tệp bị cắt, sửa tay sai, hoặc không phải "
                         "sơ đồ BPMN. Hãy xuất lại tệp từ trình thiết kế.",
                         f"The file “{file}” cannot be read as XML{at_en}: it is cut short, wrongly edited by "
                         "hand, or not a BPMN diagram. Export it again from the modeler.")
    for known in PATTERNS:
        found = known.pattern.search(message)
        if found is None:
            continue
        values = {k: _short(v).strip() if v else "" for k, v in found.groupdict().items()}
        values.setdefault("line", line or "?")
        values["line"] = line or "?"
        if "ids" in values and not values["ids"]:
            values["ids"] = "(không có)"
        element = values.get(known.element) if known.element else None
        return Explained(known.code, element or problem.element, known.vi.format(**values),
                         known.en.format(**values).replace("(không có)", "(none)"), int(line) if line else None)
    at_vi = f" (phần tử “{problem.element}”)" if problem.element else (f" (dòng {line})" if line else "")
    at_en = f" (element “{problem.element}”)" if problem.element else (f" (line {line})" if line else "")
    return Explained("bpmn-invalid", problem.element,
                     f"Sơ đồ có chỗ bộ máy quy trình không chấp nhận{at_vi}. Lời của bộ máy (tiếng Anh): "
                     f"“{message[:300]}”",
                     f"The diagram has something the process engine does not accept{at_en}. The engine's "
                     f"words: “{message[:300]}”", int(line) if line else None)
