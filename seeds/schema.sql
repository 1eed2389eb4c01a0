-- Cruddur's relational schema (PostgreSQL 13 or later: gen_random_uuid() is built in).
DROP TABLE IF EXISTS public.activities;
DROP TABLE IF EXISTS public.users;

CREATE TABLE public.users (
  uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name TEXT NOT NULL,
  handle TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  cognito_user_id TEXT NOT NULL,
  created_at TIMESTAMP DEFAULT current_timestamp NOT NULL
);

CREATE TABLE public.activities (
  uuid UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  user_uuid UUID NOT NULL REFERENCES public.users (uuid),
  message TEXT NOT NULL,
  replies_count INTEGER DEFAULT 0,
  reposts_count INTEGER DEFAULT 0,
  likes_count INTEGER DEFAULT 0,
  reply_to_activity_uuid UUID REFERENCES public.activities (uuid),
  expires_at TIMESTAMP,
  created_at TIMESTAMP DEFAULT current_timestamp NOT NULL
);
