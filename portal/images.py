"""Images from users: opened by Pillow with a pixel cap, re-encoded, metadata left behind."""
import io

from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000


class NotAnImage(ValueError):
    pass


def clean_logo(data: bytes, size: int = 256) -> bytes:
    """A PNG no larger than size×size made from whatever image the user sent; raise NotAnImage."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage("too many pixels")
            image = image.convert("RGBA")
            image.thumbnail((size, size))
            output = io.BytesIO()
            image.save(output, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as error:
        raise NotAnImage(str(error)) from error
    return output.getvalue()
