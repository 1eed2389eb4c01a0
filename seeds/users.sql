-- Seed users. cognito_user_id is 'MOCK' until update-cognito-user-ids copies each Cognito sub.
INSERT INTO public.users (display_name, handle, email, cognito_user_id)
VALUES
  ('Everly Grandest', 'everlygrandest', 'everly.grandest@example.com', 'MOCK'),
  ('Andrew Bayko', 'bayko', 'andrew.bayko@example.com', 'MOCK'),
  ('Ines Okafor', 'inesokafor', 'ines.okafor@example.com', 'MOCK'),
  ('Tomás Lindqvist', 'tomaslind', 'tomas.lindqvist@example.com', 'MOCK'),
  ('Mei Tanaka', 'meitanaka', 'mei.tanaka@example.com', 'MOCK');

INSERT INTO public.activities (user_uuid, message, expires_at)
VALUES
  ((SELECT uuid FROM public.users WHERE handle = 'everlygrandest'),
   'Shipping the new direct messages today!', current_timestamp + interval '10 day'),
  ((SELECT uuid FROM public.users WHERE handle = 'bayko'),
   'Anyone else rebuilding their local stack without Docker?', current_timestamp + interval '10 day');
