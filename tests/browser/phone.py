"""The phone (and tablet) profiles for browser tests: a 390 × 844 touch screen with a mobile
user agent; ``TABLET`` is 768 × 1024.

Use it as a marker on a module or a test::

    pytestmark = [pytest.mark.browser, pytest.mark.browser_context_args(**PHONE)]
"""

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
    "device_scale_factor": 3,
}

# A tablet held upright: 768 × 1024, touch, Chrome on an Android tablet (no "Mobile" in its
# user agent, as tablets send).
TABLET = {
    "viewport": {"width": 768, "height": 1024},
    "has_touch": True,
    "is_mobile": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
    ),
    "device_scale_factor": 2,
}
