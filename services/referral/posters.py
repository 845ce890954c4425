"""Share posters (一键分享海报): PNGs a member sends to a neighbour or a WeChat group.

* The invite poster: the community's name, the inviter's nickname and a QR code to their invite
  link (the community's join page with their code).
* The product poster: the product's name, price (yuan), the first line of its story and a QR
  code to the product with the sharer's code, so an order from it can be traced to them.

Rendering is CPU work: the service runs it in a native thread (``eventlet.tpool``), never on the
hub. Fonts are loaded once per process (a CJK collection is ~20 MB) and kept; a poster then
renders in a few tens of milliseconds.

Chinese needs a CJK font: Debian's ``fonts-noto-cjk`` (installed by ``deploy/setup.sh``), or a
file named by ``LINLI_POSTER_FONT``. Without one, rendering fails with ``PosterFontMissing``
rather than drawing boxes for every character.
"""

import io
import os
import unicodedata
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

WIDTH, HEIGHT = 600, 900
QR_SIZE = 260  # pixels of the QR code's modules plus its quiet zone
QR_TOP = 560  # where the QR code sits (centred horizontally)
QR_BORDER = 4  # modules of quiet zone around the code, as the standard asks
GREEN, RED, INK, GREY, PAPER = (
    (46, 125, 50),
    (211, 47, 47),
    (33, 33, 33),
    (117, 117, 117),
    (255, 255, 255),
)

REGULAR_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
BOLD_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
)


class PosterFontMissing(RuntimeError):
    """No CJK font on this machine: install ``fonts-noto-cjk`` or set ``LINLI_POSTER_FONT``."""


@lru_cache(maxsize=4)
def font_file(bold=False):
    """``(path, index)`` of the CJK font to draw with; Simplified Chinese faces preferred."""
    override = os.environ.get("LINLI_POSTER_FONT")
    candidates = ((override,) if override else ()) + (BOLD_FONTS if bold else ()) + REGULAR_FONTS
    for path in candidates:
        if path and os.path.isfile(path):
            return path, _simplified_chinese_index(path)
    raise PosterFontMissing(
        "No CJK font found for posters (looked in: "
        + ", ".join(candidates)
        + "). Install Debian's fonts-noto-cjk (deploy/setup.sh does) or set LINLI_POSTER_FONT."
    )


def _simplified_chinese_index(path):
    """In a collection (.ttc) the SC face is not the first one (Noto's order is JP, KR, SC...)."""
    if not path.endswith(".ttc"):
        return 0
    for index in range(10):
        try:
            family, _style = ImageFont.truetype(path, 12, index=index).getname()
        except OSError:
            break
        if family.endswith(" SC"):
            return index
    return 0


@lru_cache(maxsize=16)
def font(size, bold=False):
    path, index = font_file(bold)
    return ImageFont.truetype(path, size, index=index)


def qr_matrix(data):
    """The QR code of ``data`` as rows of booleans, quiet zone included."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QR_BORDER)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(data, size=QR_SIZE):
    """Crisp square modules: drawn at one pixel per module, then scaled with NEAREST."""
    matrix = qr_matrix(data)
    modules = len(matrix)
    small = Image.new("L", (modules, modules), 255)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    scale = max(size // modules, 1)
    return small.resize((modules * scale, modules * scale), Image.NEAREST).convert("RGB")


def qr_box(data):
    """Where ``qr_image(data)`` lands on a poster: ``(left, top, side)`` in pixels."""
    side = qr_image(data).width
    return (WIDTH - side) // 2, QR_TOP, side


def one_line(text):
    """``text`` as one drawable line: line and paragraph breaks and control characters (a
    leader's product name may hold any) become spaces; the layout engine refuses them."""
    return "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )


def _wrap(draw, text, typeface, width, max_lines):
    """Break ``text`` to ``width`` pixels character by character (Chinese has no spaces);
    the last line gets an ellipsis if the text goes on."""
    lines, line = [], ""
    for char in one_line(text):
        if draw.textlength(line + char, font=typeface) <= width:
            line += char
            continue
        lines.append(line)
        line = char
        if len(lines) == max_lines:
            break
    else:
        if line:
            lines.append(line)
        return lines
    last = lines[-1]
    while last and draw.textlength(last + "…", font=typeface) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def _centered(draw, y, text, typeface, fill):
    draw.text((WIDTH // 2, y), one_line(text), font=typeface, fill=fill, anchor="mt")


def _canvas(community_name):
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 120), fill=GREEN)
    title = _wrap(draw, community_name or "邻里", font(40, bold=True), WIDTH - 60, 1)[0]
    _centered(draw, 38, title, font(40, bold=True), PAPER)
    return image, draw


def _finish(image, draw, url, caption):
    left, top, side = qr_box(url)
    image.paste(qr_image(url), (left, top))
    _centered(draw, top + side + 14, caption, font(22), GREY)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def invite_poster(community_name, nickname, invite_url, code, rewards_cents=0):
    """The invite poster as PNG bytes."""
    image, draw = _canvas(community_name)
    name = _wrap(draw, nickname or "邻居", font(34, bold=True), WIDTH - 80, 1)[0]
    _centered(draw, 170, name, font(34, bold=True), INK)
    _centered(draw, 225, "邀请你加入我们的社区团购", font(30), INK)
    _centered(draw, 285, "邻居推荐 · 新鲜到家 · 楼下自提", font(24), GREY)
    if rewards_cents > 0:
        line = f"入团后首单完成,即得 ¥{rewards_cents / 100:g} 优惠券"
        _centered(draw, 360, line, font(28, bold=True), RED)
    _centered(draw, 450, f"邀请码 {code}", font(32, bold=True), GREEN)
    return _finish(image, draw, invite_url, "长按识别二维码,加入社区")


def product_poster(community_name, product, product_url, sharer):
    """The product poster as PNG bytes. ``product``: catalog's product (name, price_cents,
    unit, story)."""
    image, draw = _canvas(community_name)
    # No remote image is fetched (a member-supplied URL must never make the server call out,
    # and a slow image host would blow the render budget): a placeholder band stands in.
    draw.rectangle((40, 140, WIDTH - 40, 300), fill=(232, 245, 233))
    initial = next(
        (char for char in one_line(product.get("name") or "") if not char.isspace()), "邻"
    )
    _centered(draw, 170, initial, font(90, bold=True), GREEN)
    y = 318
    for line in _wrap(draw, product.get("name") or "", font(32, bold=True), WIDTH - 80, 2):
        draw.text((40, y), line, font=font(32, bold=True), fill=INK)
        y += 42
    unit = one_line(product.get("unit") or "") or "件"
    price = f"¥{product.get('price_cents', 0) / 100:.2f}"
    draw.text((40, y + 6), price, font=font(44, bold=True), fill=RED)
    draw.text(
        (48 + draw.textlength(price, font=font(44, bold=True)), y + 24),
        f"/{unit}",
        font=font(24),
        fill=GREY,
    )
    y += 70
    story = next(
        (line.strip() for line in (product.get("story") or "").splitlines() if line.strip()), ""
    )
    for line in _wrap(draw, story, font(24), WIDTH - 80, 2):
        draw.text((40, y), line, font=font(24), fill=GREY)
        y += 32
    caption = f"{sharer or '邻居'} 推荐 · 长按识别二维码购买"
    return _finish(image, draw, product_url, _wrap(draw, caption, font(22), WIDTH - 60, 1)[0])
