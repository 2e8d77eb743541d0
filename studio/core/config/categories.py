"""Apple Podcasts categories (the current list) and a checker with suggestions."""

from __future__ import annotations

import difflib

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": ("Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies",
                "Home & Garden", "Video Games"),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": ("Business News", "Daily News", "Entertainment News", "News Commentary", "Politics",
             "Sports News", "Tech News"),
    "Religion & Spirituality": ("Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion",
                                "Spirituality"),
    "Science": ("Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics",
                "Natural Sciences", "Nature", "Physics", "Social Sciences"),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": ("Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby",
               "Running", "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling"),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


def _suggest(value: str, choices) -> str:
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    close = [lowered[value.strip().lower()]] if value.strip().lower() in lowered else []
    close = close or difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    return f" (did you mean '{close[0]}'?)" if close else ""


def category_problem(category: str, subcategory: str = "") -> tuple[str, str] | None:
    """None when (category, subcategory) is on Apple's list, else (the key, a one-line reason)."""
    if category not in APPLE_CATEGORIES:
        return "category", f"{category!r} is not an Apple Podcasts category{_suggest(category, APPLE_CATEGORIES)}"
    subs = APPLE_CATEGORIES[category]
    if subcategory and subcategory not in subs:
        if not subs:
            return "subcategory", f"{category!r} has no subcategories, got {subcategory!r}"
        return "subcategory", f"{subcategory!r} is not a subcategory of {category!r}{_suggest(subcategory, subs)}"
    return None
