"""What went wrong in a procedure's automatic step, said to people: in Vietnamese and English, in plain words,
naming the step, and with what the procedure's designer must change.

The workflow engine and Python speak their own English ("name 'x' is not defined", "A data object could not be
set; 'x' not exist in the task.", "division by zero"). Known messages are patterns here, kept as data; the engine's
words follow, quoted, for whoever looks deeper (an incident keeps them too).
"""

from __future__ import annotations

import re

from engine.errors import ProcessError

ENGINE_CHARS = 300  # of the engine's own words, quoted after the plain message

# (pattern on the engine's message, Vietnamese, English): what happened; {step} is the step, named groups too.
PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple((re.compile(p, re.S), vi, en) for p, vi, en in (
    (r"name '(?P<var>\w+)' is not defined",
     "{step} dùng biến “{var}” mà dữ liệu hồ sơ chưa có: không bước nào trước đó đặt giá trị cho nó. Người "
     "thiết kế thủ tục cần thêm trường có khóa “{var}” vào biểu mẫu của một bước trước đó, hoặc sửa biểu thức.",
     "{step} uses the variable “{var}”, which the dossier's data does not have: no earlier step sets it. The "
     "procedure's designer must add a field with the key “{var}” to an earlier step's form, or correct the "
     "expression."),
    (r"data object could not be set; '(?P<var>[^']+)'",
     "{step} phải ghi đối tượng dữ liệu “{var}” nhưng dữ liệu của bước không có “{var}”. Người thiết kế thủ tục "
     "cần thêm trường có khóa “{var}” vào biểu mẫu của bước, hoặc bỏ liên kết dữ liệu đi ra của bước.",
     "{step} must write the data object “{var}”, but the step's data has no “{var}”. The procedure's designer "
     "must add a field with the key “{var}” to the step's form, or remove the step's outgoing data "
     "association."),
    (r"data object could not be read; '(?P<var>[^']+)'",
     "{step} đọc đối tượng dữ liệu “{var}” nhưng chưa bước nào ghi nó. Người thiết kế thủ tục cần cho một bước "
     "trước đó ghi “{var}” (liên kết dữ liệu đi ra), hoặc bỏ liên kết dữ liệu đi vào của bước.",
     "{step} reads the data object “{var}”, which no step has written yet. The procedure's designer must have "
     "an earlier step write “{var}” (an outgoing data association), or remove the step's incoming data "
     "association."),
    (r"Missing data (?:input|ouput|output)",
     "{step} thiếu dữ liệu vào hoặc ra mà bước khai báo. Người thiết kế thủ tục cần sửa phần dữ liệu vào/ra "
     "(input/output) của bước.",
     "{step} lacks an input or output it declares. The procedure's designer must correct the step's inputs and "
     "outputs."),
    (r"No conditions satisfied",
     "Ở {step}, với dữ liệu của hồ sơ này không điều kiện nào của các nhánh đúng và cổng không có nhánh mặc định. "
     "Người thiết kế thủ tục cần thêm nhánh mặc định cho cổng, hoặc sửa điều kiện.",
     "At {step}, no branch's condition holds for this dossier's data and the gateway has no default flow. The "
     "procedure's designer must give the gateway a default flow, or correct the conditions."),
    (r"division by zero",
     "{step} chia cho 0 với dữ liệu của hồ sơ này. Người thiết kế thủ tục cần sửa tập lệnh để xét trường hợp "
     "giá trị bằng 0; người xử lý có thể kiểm tra lại số liệu đã nhập.",
     "{step} divides by zero with this dossier's data. The procedure's designer must handle a zero value in the "
     "script; whoever entered the data may check it."),
    (r"unsupported operand|not supported between|can only concatenate|must be str|must be real number|"
     r"object is not subscriptable|object is not callable|has no attribute",
     "{step} dùng một giá trị sai kiểu (ví dụ cộng chữ với số, hoặc so sánh ngày với chữ) với dữ liệu của hồ sơ "
     "này. Người thiết kế thủ tục cần sửa tập lệnh hoặc kiểu của trường biểu mẫu.",
     "{step} uses a value of the wrong kind (adding text to a number, comparing a date with text) with this "
     "dossier's data. The procedure's designer must correct the script or the form field's type."),
    (r"KeyError|IndexError|list index out of range",
     "{step} tìm một mục không có trong dữ liệu của hồ sơ này. Người thiết kế thủ tục cần sửa tập lệnh.",
     "{step} looks up an item this dossier's data does not have. The procedure's designer must correct the "
     "script."),
    (r"service tasks are not supported",
     "{step} là bước dịch vụ (service task) mà Motcua không chạy. Người thiết kế thủ tục cần đổi nó thành bước "
     "tập lệnh hoặc bước do người xử lý.",
     "{step} is a service task, which Motcua does not run. The procedure's designer must change it into a "
     "script task or a step a person works."),
))
# A bound the sandbox stopped the step at (ProcessError.reason), said whatever the engine's words.
REASONS: dict[str, tuple[str, str]] = {
    "time-limit": ("{step} chạy quá thời gian cho phép và đã bị dừng.", "{step} ran longer than allowed and was "
                   "stopped."),
    "step-limit": ("{step} lặp hoặc gọi quá nhiều lần và đã bị dừng.", "{step} looped or called too many times and "
                   "was stopped."),
    "memory-limit": ("{step} dùng quá nhiều bộ nhớ và đã bị dừng.", "{step} used too much memory and was stopped."),
    "size-limit": ("{step} tạo ra một giá trị quá lớn và đã bị dừng.", "{step} built a value too large and was "
                   "stopped."),
    "depth-limit": ("{step} lồng nhau quá sâu và đã bị dừng.", "{step} nested too deeply and was stopped."),
    "forbidden": ("{step} làm một việc tập lệnh thủ tục không được phép làm.", "{step} did something a "
                  "procedure's script may not do."),
    "unstorable": ("{step} để lại dữ liệu không lưu được vào hồ sơ.", "{step} left data that cannot be stored in "
                   "the dossier."),
}
AFTER = ("Chưa có gì được lưu; hồ sơ vẫn ở bước trước.", "Nothing was saved; the dossier stays where it was.")
FIX = ("Người thiết kế thủ tục cần sửa bước này.", "The procedure's designer must correct this step.")


def plain(detail: str, reason: str, element_name: str | None) -> tuple[str, str]:
    """(Vietnamese, English) for a failed automatic step, with the engine's words quoted at the end."""
    step_vi = f"Bước “{element_name}”" if element_name else "Một bước tự động của thủ tục"
    step_en = f"Step “{element_name}”" if element_name else "An automatic step of the procedure"
    vi = en = None
    if reason in REASONS:
        vi, en = (f"{m.format(step=s)} {f}" for m, s, f in zip(REASONS[reason], (step_vi, step_en), FIX,
                                                                  strict=True))
    else:
        for pattern, p_vi, p_en in PATTERNS:
            if (found := pattern.search(detail)) is not None:
                values = found.groupdict()
                at_vi = step_vi if not p_vi.startswith("Ở") else step_vi[0].lower() + step_vi[1:]
                at_en = step_en if not p_en.startswith("At") else step_en[0].lower() + step_en[1:]
                vi, en = p_vi.format(step=at_vi, **values), p_en.format(step=at_en, **values)
                break
    if vi is None or en is None:
        vi = f"{step_vi} gặp lỗi khi chạy với dữ liệu của hồ sơ này. {FIX[0]}"
        en = f"{step_en} failed on this dossier's data. {FIX[1]}"
    words = detail.strip()[:ENGINE_CHARS]
    return (f"{vi} {AFTER[0]} Lời của bộ máy (tiếng Anh): “{words}”",
            f"{en} {AFTER[1]} The engine's words: “{words}”")


def process_error(detail: str, element: str | None = None, reason: str = "script-error",
                  element_name: str | None = None) -> ProcessError:
    """A ProcessError carrying its plain messages: the 422 a person reads, the incident a leader reads."""
    vi, en = plain(detail, reason, element_name or element)
    return ProcessError(detail, element=element, reason=reason, element_name=element_name, message_vi=vi,
                        message_en=en)
