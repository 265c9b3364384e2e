export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      app_config: {
        Row: {
          key: string
          updated_at: string
          updated_by: string | null
          value: Json
        }
        Insert: {
          key: string
          updated_at?: string
          updated_by?: string | null
          value: Json
        }
        Update: {
          key?: string
          updated_at?: string
          updated_by?: string | null
          value?: Json
        }
        Relationships: [
          {
            foreignKeyName: "app_config_updated_by_fkey"
            columns: ["updated_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      astro_charts: {
        Row: {
          birth_place: string | null
          birth_time: string | null
          chart: Json | null
          computed_at: string | null
          dob: string | null
          id: number
          latitude: number | null
          longitude: number | null
          order_id: number | null
          profile_id: string | null
          subject_name: string | null
          summary: string | null
          timezone: string | null
        }
        Insert: {
          birth_place?: string | null
          birth_time?: string | null
          chart?: Json | null
          computed_at?: string | null
          dob?: string | null
          id?: number
          latitude?: number | null
          longitude?: number | null
          order_id?: number | null
          profile_id?: string | null
          subject_name?: string | null
          summary?: string | null
          timezone?: string | null
        }
        Update: {
          birth_place?: string | null
          birth_time?: string | null
          chart?: Json | null
          computed_at?: string | null
          dob?: string | null
          id?: number
          latitude?: number | null
          longitude?: number | null
          order_id?: number | null
          profile_id?: string | null
          subject_name?: string | null
          summary?: string | null
          timezone?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "astro_charts_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "admin_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "astro_charts_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "orders"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "astro_charts_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "reader_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "astro_charts_profile_id_fkey"
            columns: ["profile_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      audit_log: {
        Row: {
          actor: string | null
          actor_role: string | null
          created_at: string
          entity: string | null
          entity_id: string | null
          event: string
          id: number
          meta: Json | null
        }
        Insert: {
          actor?: string | null
          actor_role?: string | null
          created_at?: string
          entity?: string | null
          entity_id?: string | null
          event: string
          id?: number
          meta?: Json | null
        }
        Update: {
          actor?: string | null
          actor_role?: string | null
          created_at?: string
          entity?: string | null
          entity_id?: string | null
          event?: string
          id?: number
          meta?: Json | null
        }
        Relationships: []
      }
      blocklist: {
        Row: {
          created_at: string
          created_by: string | null
          expires_at: string | null
          id: number
          kind: string
          lifted_at: string | null
          lifted_by: string | null
          reason: string
          value: string
        }
        Insert: {
          created_at?: string
          created_by?: string | null
          expires_at?: string | null
          id?: number
          kind: string
          lifted_at?: string | null
          lifted_by?: string | null
          reason: string
          value: string
        }
        Update: {
          created_at?: string
          created_by?: string | null
          expires_at?: string | null
          id?: number
          kind?: string
          lifted_at?: string | null
          lifted_by?: string | null
          reason?: string
          value?: string
        }
        Relationships: [
          {
            foreignKeyName: "blocklist_created_by_fkey"
            columns: ["created_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "blocklist_lifted_by_fkey"
            columns: ["lifted_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      calls: {
        Row: {
          client_joined_at: string | null
          end_reason: string | null
          ended_at: string | null
          ended_by: string | null
          id: number
          immediate: boolean
          order_id: number | null
          planned_end: string | null
          planned_start: string | null
          provider: string | null
          provider_ref: string | null
          reader_id: string | null
          reader_joined_at: string | null
          reason: string | null
          slot: unknown
          started_at: string | null
          time_zone: string | null
        }
        Insert: {
          client_joined_at?: string | null
          end_reason?: string | null
          ended_at?: string | null
          ended_by?: string | null
          id?: number
          immediate?: boolean
          order_id?: number | null
          planned_end?: string | null
          planned_start?: string | null
          provider?: string | null
          provider_ref?: string | null
          reader_id?: string | null
          reader_joined_at?: string | null
          reason?: string | null
          slot?: unknown
          started_at?: string | null
          time_zone?: string | null
        }
        Update: {
          client_joined_at?: string | null
          end_reason?: string | null
          ended_at?: string | null
          ended_by?: string | null
          id?: number
          immediate?: boolean
          order_id?: number | null
          planned_end?: string | null
          planned_start?: string | null
          provider?: string | null
          provider_ref?: string | null
          reader_id?: string | null
          reader_joined_at?: string | null
          reason?: string | null
          slot?: unknown
          started_at?: string | null
          time_zone?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "calls_ended_by_fkey"
            columns: ["ended_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "calls_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "admin_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "calls_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "orders"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "calls_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: true
            referencedRelation: "reader_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "calls_reader_id_fkey"
            columns: ["reader_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      countries: {
        Row: {
          code: string
          dial_code: string
          name: string
        }
        Insert: {
          code: string
          dial_code: string
          name: string
        }
        Update: {
          code?: string
          dial_code?: string
          name?: string
        }
        Relationships: []
      }
      horoscopes: {
        Row: {
          approved_at: string | null
          approved_by: string | null
          audio_media_id: number | null
          created_at: string
          id: number
          ref_date: string
          rejected_at: string | null
          rejected_by: string | null
          rejected_reason: string | null
          scope: string
          text_content: string | null
          zodiac: string
        }
        Insert: {
          approved_at?: string | null
          approved_by?: string | null
          audio_media_id?: number | null
          created_at?: string
          id?: number
          ref_date: string
          rejected_at?: string | null
          rejected_by?: string | null
          rejected_reason?: string | null
          scope: string
          text_content?: string | null
          zodiac: string
        }
        Update: {
          approved_at?: string | null
          approved_by?: string | null
          audio_media_id?: number | null
          created_at?: string
          id?: number
          ref_date?: string
          rejected_at?: string | null
          rejected_by?: string | null
          rejected_reason?: string | null
          scope?: string
          text_content?: string | null
          zodiac?: string
        }
        Relationships: [
          {
            foreignKeyName: "horoscopes_approved_by_fkey"
            columns: ["approved_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "horoscopes_audio_media_id_fkey"
            columns: ["audio_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "horoscopes_rejected_by_fkey"
            columns: ["rejected_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      media_assets: {
        Row: {
          bucket: string | null
          bytes: number | null
          created_at: string
          duration_sec: number | null
          error: string | null
          id: number
          kind: string
          meta: Json
          mime_type: string | null
          owner_id: string | null
          path: string | null
          sha256: string | null
          status: string
          url: string
        }
        Insert: {
          bucket?: string | null
          bytes?: number | null
          created_at?: string
          duration_sec?: number | null
          error?: string | null
          id?: number
          kind: string
          meta?: Json
          mime_type?: string | null
          owner_id?: string | null
          path?: string | null
          sha256?: string | null
          status?: string
          url: string
        }
        Update: {
          bucket?: string | null
          bytes?: number | null
          created_at?: string
          duration_sec?: number | null
          error?: string | null
          id?: number
          kind?: string
          meta?: Json
          mime_type?: string | null
          owner_id?: string | null
          path?: string | null
          sha256?: string | null
          status?: string
          url?: string
        }
        Relationships: [
          {
            foreignKeyName: "media_assets_owner_id_fkey"
            columns: ["owner_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      moderation_actions: {
        Row: {
          action: string
          actor_id: string | null
          created_at: string
          id: number
          reason: string | null
          target_id: string
          target_kind: string
        }
        Insert: {
          action: string
          actor_id?: string | null
          created_at?: string
          id?: number
          reason?: string | null
          target_id: string
          target_kind: string
        }
        Update: {
          action?: string
          actor_id?: string | null
          created_at?: string
          id?: number
          reason?: string | null
          target_id?: string
          target_kind?: string
        }
        Relationships: [
          {
            foreignKeyName: "moderation_actions_actor_id_fkey"
            columns: ["actor_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      notifications: {
        Row: {
          body: string | null
          created_at: string
          id: number
          kind: string
          locale: string | null
          order_id: number | null
          params: Json
          read_at: string | null
          title: string | null
          user_id: string
        }
        Insert: {
          body?: string | null
          created_at?: string
          id?: number
          kind: string
          locale?: string | null
          order_id?: number | null
          params?: Json
          read_at?: string | null
          title?: string | null
          user_id: string
        }
        Update: {
          body?: string | null
          created_at?: string
          id?: number
          kind?: string
          locale?: string | null
          order_id?: number | null
          params?: Json
          read_at?: string | null
          title?: string | null
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "notifications_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: false
            referencedRelation: "admin_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "notifications_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: false
            referencedRelation: "orders"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "notifications_order_id_fkey"
            columns: ["order_id"]
            isOneToOne: false
            referencedRelation: "reader_order_queue"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "notifications_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      orders: {
        Row: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        Insert: {
          archived_at?: string | null
          assigned_reader?: string | null
          birth_date?: string | null
          birth_name?: string | null
          birth_place?: string | null
          birth_time?: string | null
          created_at?: string
          delivered_at?: string | null
          id?: number
          input_media_id?: number | null
          is_gold?: boolean
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id: number
          status?: Database["public"]["Enums"]["order_status"]
          status_reason?: string | null
          updated_at?: string
          user_id: string
        }
        Update: {
          archived_at?: string | null
          assigned_reader?: string | null
          birth_date?: string | null
          birth_name?: string | null
          birth_place?: string | null
          birth_time?: string | null
          created_at?: string
          delivered_at?: string | null
          id?: number
          input_media_id?: number | null
          is_gold?: boolean
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id?: number
          status?: Database["public"]["Enums"]["order_status"]
          status_reason?: string | null
          updated_at?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "orders_assigned_reader_fkey"
            columns: ["assigned_reader"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_input_media_id_fkey"
            columns: ["input_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_output_media_id_fkey"
            columns: ["output_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_service_id_fkey"
            columns: ["service_id"]
            isOneToOne: false
            referencedRelation: "services"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      phone_verifications: {
        Row: {
          country: string | null
          created_at: string
          error_code: string | null
          id: number
          phone: string
          profile_id: string | null
          provider_ref: string | null
          status: string
          updated_at: string
        }
        Insert: {
          country?: string | null
          created_at?: string
          error_code?: string | null
          id?: number
          phone: string
          profile_id?: string | null
          provider_ref?: string | null
          status: string
          updated_at?: string
        }
        Update: {
          country?: string | null
          created_at?: string
          error_code?: string | null
          id?: number
          phone?: string
          profile_id?: string | null
          provider_ref?: string | null
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "phone_verifications_profile_id_fkey"
            columns: ["profile_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      profiles: {
        Row: {
          birth_place: string | null
          birth_time: string | null
          blocked_at: string | null
          blocked_by: string | null
          blocked_reason: string | null
          country: string | null
          country_code: string | null
          created_at: string
          dob: string | null
          email: string | null
          email_verified: boolean
          first_name: string | null
          id: string
          is_blocked: boolean
          last_name: string | null
          locale: string
          locale_chosen: boolean
          phone: string | null
          phone_verified: boolean
          quiet_hours: Json | null
          role_id: number
          time_zone: string | null
          updated_at: string
          zodiac: string | null
        }
        Insert: {
          birth_place?: string | null
          birth_time?: string | null
          blocked_at?: string | null
          blocked_by?: string | null
          blocked_reason?: string | null
          country?: string | null
          country_code?: string | null
          created_at?: string
          dob?: string | null
          email?: string | null
          email_verified?: boolean
          first_name?: string | null
          id: string
          is_blocked?: boolean
          last_name?: string | null
          locale?: string
          locale_chosen?: boolean
          phone?: string | null
          phone_verified?: boolean
          quiet_hours?: Json | null
          role_id?: number
          time_zone?: string | null
          updated_at?: string
          zodiac?: string | null
        }
        Update: {
          birth_place?: string | null
          birth_time?: string | null
          blocked_at?: string | null
          blocked_by?: string | null
          blocked_reason?: string | null
          country?: string | null
          country_code?: string | null
          created_at?: string
          dob?: string | null
          email?: string | null
          email_verified?: boolean
          first_name?: string | null
          id?: string
          is_blocked?: boolean
          last_name?: string | null
          locale?: string
          locale_chosen?: boolean
          phone?: string | null
          phone_verified?: boolean
          quiet_hours?: Json | null
          role_id?: number
          time_zone?: string | null
          updated_at?: string
          zodiac?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "profiles_blocked_by_fkey"
            columns: ["blocked_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "profiles_role_id_fkey"
            columns: ["role_id"]
            isOneToOne: false
            referencedRelation: "roles"
            referencedColumns: ["id"]
          },
        ]
      }
      push_devices: {
        Row: {
          app_version: string | null
          created_at: string
          disabled_at: string | null
          disabled_reason: string | null
          id: number
          last_seen_at: string
          locale: string | null
          platform: string
          token: string
          user_id: string
        }
        Insert: {
          app_version?: string | null
          created_at?: string
          disabled_at?: string | null
          disabled_reason?: string | null
          id?: never
          last_seen_at?: string
          locale?: string | null
          platform: string
          token: string
          user_id: string
        }
        Update: {
          app_version?: string | null
          created_at?: string
          disabled_at?: string | null
          disabled_reason?: string | null
          id?: never
          last_seen_at?: string
          locale?: string | null
          platform?: string
          token?: string
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "push_devices_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      reader_availability: {
        Row: {
          active: boolean
          created_at: string
          ends_at: string
          id: number
          reader_id: string
          starts_at: string
          time_zone: string
          weekday: number
        }
        Insert: {
          active?: boolean
          created_at?: string
          ends_at: string
          id?: number
          reader_id: string
          starts_at: string
          time_zone: string
          weekday: number
        }
        Update: {
          active?: boolean
          created_at?: string
          ends_at?: string
          id?: number
          reader_id?: string
          starts_at?: string
          time_zone?: string
          weekday?: number
        }
        Relationships: [
          {
            foreignKeyName: "reader_availability_reader_id_fkey"
            columns: ["reader_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      reader_presence: {
        Row: {
          reader_id: string
          status: string
          updated_at: string
        }
        Insert: {
          reader_id: string
          status?: string
          updated_at?: string
        }
        Update: {
          reader_id?: string
          status?: string
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "reader_presence_reader_id_fkey"
            columns: ["reader_id"]
            isOneToOne: true
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      reader_time_off: {
        Row: {
          created_at: string
          ends_at: string
          id: number
          reader_id: string
          starts_at: string
        }
        Insert: {
          created_at?: string
          ends_at: string
          id?: number
          reader_id: string
          starts_at: string
        }
        Update: {
          created_at?: string
          ends_at?: string
          id?: number
          reader_id?: string
          starts_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "reader_time_off_reader_id_fkey"
            columns: ["reader_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      roles: {
        Row: {
          code: string
          id: number
          label: string
        }
        Insert: {
          code: string
          id: number
          label: string
        }
        Update: {
          code?: string
          id?: number
          label?: string
        }
        Relationships: []
      }
      services: {
        Row: {
          base_price: number
          code: string
          delivery: string
          id: number
          is_active: boolean
          is_premium: boolean
          meta: Json
          name: string
        }
        Insert: {
          base_price?: number
          code: string
          delivery: string
          id?: number
          is_active?: boolean
          is_premium?: boolean
          meta?: Json
          name: string
        }
        Update: {
          base_price?: number
          code?: string
          delivery?: string
          id?: number
          is_active?: boolean
          is_premium?: boolean
          meta?: Json
          name?: string
        }
        Relationships: []
      }
      tiktok_posts: {
        Row: {
          caption: string | null
          classified_at: string | null
          classified_by: string | null
          cover_image_url: string | null
          create_time: string | null
          created_at: string
          detected_date: string | null
          detected_scope: string | null
          detected_zodiac: string | null
          duplicate_of: number | null
          duration_sec: number | null
          embed_link: string | null
          error: string | null
          horoscope_id: number | null
          id: number
          last_seen_at: string | null
          media_id: number | null
          post_id: string
          removed_at: string | null
          share_url: string | null
          source_media_id: number | null
          status: string
          title: string | null
          updated_at: string
        }
        Insert: {
          caption?: string | null
          classified_at?: string | null
          classified_by?: string | null
          cover_image_url?: string | null
          create_time?: string | null
          created_at?: string
          detected_date?: string | null
          detected_scope?: string | null
          detected_zodiac?: string | null
          duplicate_of?: number | null
          duration_sec?: number | null
          embed_link?: string | null
          error?: string | null
          horoscope_id?: number | null
          id?: number
          last_seen_at?: string | null
          media_id?: number | null
          post_id: string
          removed_at?: string | null
          share_url?: string | null
          source_media_id?: number | null
          status?: string
          title?: string | null
          updated_at?: string
        }
        Update: {
          caption?: string | null
          classified_at?: string | null
          classified_by?: string | null
          cover_image_url?: string | null
          create_time?: string | null
          created_at?: string
          detected_date?: string | null
          detected_scope?: string | null
          detected_zodiac?: string | null
          duplicate_of?: number | null
          duration_sec?: number | null
          embed_link?: string | null
          error?: string | null
          horoscope_id?: number | null
          id?: number
          last_seen_at?: string | null
          media_id?: number | null
          post_id?: string
          removed_at?: string | null
          share_url?: string | null
          source_media_id?: number | null
          status?: string
          title?: string | null
          updated_at?: string
        }
        Relationships: [
          {
            foreignKeyName: "tiktok_posts_classified_by_fkey"
            columns: ["classified_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_duplicate_of_fkey"
            columns: ["duplicate_of"]
            isOneToOne: false
            referencedRelation: "horoscope_review_queue"
            referencedColumns: ["post_id"]
          },
          {
            foreignKeyName: "tiktok_posts_duplicate_of_fkey"
            columns: ["duplicate_of"]
            isOneToOne: false
            referencedRelation: "tiktok_posts"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_horoscope_id_fkey"
            columns: ["horoscope_id"]
            isOneToOne: false
            referencedRelation: "horoscopes"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_media_id_fkey"
            columns: ["media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_source_media_id_fkey"
            columns: ["source_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Views: {
      admin_order_queue: {
        Row: {
          archived_at: string | null
          assigned_reader: string | null
          created_at: string | null
          delivered_at: string | null
          id: number | null
          input_media_id: number | null
          is_gold: boolean | null
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number | null
          status: Database["public"]["Enums"]["order_status"] | null
          status_reason: string | null
          updated_at: string | null
          user_id: string | null
        }
        Insert: {
          archived_at?: string | null
          assigned_reader?: string | null
          created_at?: string | null
          delivered_at?: string | null
          id?: number | null
          input_media_id?: number | null
          is_gold?: boolean | null
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id?: number | null
          status?: Database["public"]["Enums"]["order_status"] | null
          status_reason?: string | null
          updated_at?: string | null
          user_id?: string | null
        }
        Update: {
          archived_at?: string | null
          assigned_reader?: string | null
          created_at?: string | null
          delivered_at?: string | null
          id?: number | null
          input_media_id?: number | null
          is_gold?: boolean | null
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id?: number | null
          status?: Database["public"]["Enums"]["order_status"] | null
          status_reason?: string | null
          updated_at?: string | null
          user_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "orders_assigned_reader_fkey"
            columns: ["assigned_reader"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_input_media_id_fkey"
            columns: ["input_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_output_media_id_fkey"
            columns: ["output_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_service_id_fkey"
            columns: ["service_id"]
            isOneToOne: false
            referencedRelation: "services"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
      horoscope_review_queue: {
        Row: {
          audio_duration_sec: number | null
          audio_error: string | null
          audio_media_id: number | null
          audio_sha256: string | null
          audio_status: string | null
          audio_url: string | null
          caption: string | null
          classified_by: string | null
          duplicate_of: number | null
          error: string | null
          horoscope_id: number | null
          post_id: number | null
          posted_at: string | null
          published_horoscope_id: number | null
          ref_date: string | null
          removed_at: string | null
          scope: string | null
          share_url: string | null
          status: string | null
          tiktok_id: string | null
          zodiac: string | null
        }
        Relationships: [
          {
            foreignKeyName: "tiktok_posts_classified_by_fkey"
            columns: ["classified_by"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_duplicate_of_fkey"
            columns: ["duplicate_of"]
            isOneToOne: false
            referencedRelation: "horoscope_review_queue"
            referencedColumns: ["post_id"]
          },
          {
            foreignKeyName: "tiktok_posts_duplicate_of_fkey"
            columns: ["duplicate_of"]
            isOneToOne: false
            referencedRelation: "tiktok_posts"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_horoscope_id_fkey"
            columns: ["horoscope_id"]
            isOneToOne: false
            referencedRelation: "horoscopes"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "tiktok_posts_media_id_fkey"
            columns: ["audio_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
        ]
      }
      reader_order_queue: {
        Row: {
          archived_at: string | null
          assigned_reader: string | null
          created_at: string | null
          delivered_at: string | null
          id: number | null
          input_media_id: number | null
          is_gold: boolean | null
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number | null
          status: Database["public"]["Enums"]["order_status"] | null
          status_reason: string | null
          updated_at: string | null
          user_id: string | null
        }
        Insert: {
          archived_at?: string | null
          assigned_reader?: string | null
          created_at?: string | null
          delivered_at?: string | null
          id?: number | null
          input_media_id?: number | null
          is_gold?: boolean | null
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id?: number | null
          status?: Database["public"]["Enums"]["order_status"] | null
          status_reason?: string | null
          updated_at?: string | null
          user_id?: string | null
        }
        Update: {
          archived_at?: string | null
          assigned_reader?: string | null
          created_at?: string | null
          delivered_at?: string | null
          id?: number | null
          input_media_id?: number | null
          is_gold?: boolean | null
          output_media_id?: number | null
          question_text?: string | null
          scheduled_at?: string | null
          service_id?: number | null
          status?: Database["public"]["Enums"]["order_status"] | null
          status_reason?: string | null
          updated_at?: string | null
          user_id?: string | null
        }
        Relationships: [
          {
            foreignKeyName: "orders_assigned_reader_fkey"
            columns: ["assigned_reader"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_input_media_id_fkey"
            columns: ["input_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_output_media_id_fkey"
            columns: ["output_media_id"]
            isOneToOne: false
            referencedRelation: "media_assets"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_service_id_fkey"
            columns: ["service_id"]
            isOneToOne: false
            referencedRelation: "services"
            referencedColumns: ["id"]
          },
          {
            foreignKeyName: "orders_user_id_fkey"
            columns: ["user_id"]
            isOneToOne: false
            referencedRelation: "profiles"
            referencedColumns: ["id"]
          },
        ]
      }
    }
    Functions: {
      approve_horoscope: {
        Args: { p_id: number }
        Returns: {
          approved_at: string | null
          approved_by: string | null
          audio_media_id: number | null
          created_at: string
          id: number
          ref_date: string
          rejected_at: string | null
          rejected_by: string | null
          rejected_reason: string | null
          scope: string
          text_content: string | null
          zodiac: string
        }
        SetofOptions: {
          from: "*"
          to: "horoscopes"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      approve_order: {
        Args: { p_order_id: number }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      archive_order: {
        Args: { p_order_id: number }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      assign_order: {
        Args: { p_order_id: number; p_reader: string }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      attach_post_media: {
        Args: { media_id: number; post_id: number }
        Returns: {
          caption: string | null
          classified_at: string | null
          classified_by: string | null
          cover_image_url: string | null
          create_time: string | null
          created_at: string
          detected_date: string | null
          detected_scope: string | null
          detected_zodiac: string | null
          duplicate_of: number | null
          duration_sec: number | null
          embed_link: string | null
          error: string | null
          horoscope_id: number | null
          id: number
          last_seen_at: string | null
          media_id: number | null
          post_id: string
          removed_at: string | null
          share_url: string | null
          source_media_id: number | null
          status: string
          title: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "tiktok_posts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      block_profile: {
        Args: { p_blocklist?: boolean; p_id: string; p_reason: string }
        Returns: {
          birth_place: string | null
          birth_time: string | null
          blocked_at: string | null
          blocked_by: string | null
          blocked_reason: string | null
          country: string | null
          country_code: string | null
          created_at: string
          dob: string | null
          email: string | null
          email_verified: boolean
          first_name: string | null
          id: string
          is_blocked: boolean
          last_name: string | null
          locale: string
          locale_chosen: boolean
          phone: string | null
          phone_verified: boolean
          quiet_hours: Json | null
          role_id: number
          time_zone: string | null
          updated_at: string
          zodiac: string | null
        }
        SetofOptions: {
          from: "*"
          to: "profiles"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      book_call: {
        Args: {
          reader_id: string
          service_code: string
          starts_at?: string
          time_zone?: string
        }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      cancel_order: {
        Args: { p_order_id: number; p_reason?: string }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      classify_post: {
        Args: {
          p_post_id: number
          p_ref_date: string
          p_scope: string
          p_zodiac: string
        }
        Returns: {
          caption: string | null
          classified_at: string | null
          classified_by: string | null
          cover_image_url: string | null
          create_time: string | null
          created_at: string
          detected_date: string | null
          detected_scope: string | null
          detected_zodiac: string | null
          duplicate_of: number | null
          duration_sec: number | null
          embed_link: string | null
          error: string | null
          horoscope_id: number | null
          id: number
          last_seen_at: string | null
          media_id: number | null
          post_id: string
          removed_at: string | null
          share_url: string | null
          source_media_id: number | null
          status: string
          title: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "tiktok_posts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      confirm_phone_verification: {
        Args: { code: string }
        Returns: {
          country: string | null
          created_at: string
          error_code: string | null
          id: number
          phone: string
          profile_id: string | null
          provider_ref: string | null
          status: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "phone_verifications"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      custom_access_token_hook: { Args: { event: Json }; Returns: Json }
      drop_call: {
        Args: { p_order_id: number; p_reason: string }
        Returns: {
          client_joined_at: string | null
          end_reason: string | null
          ended_at: string | null
          ended_by: string | null
          id: number
          immediate: boolean
          order_id: number | null
          planned_end: string | null
          planned_start: string | null
          provider: string | null
          provider_ref: string | null
          reader_id: string | null
          reader_joined_at: string | null
          reason: string | null
          slot: unknown
          started_at: string | null
          time_zone: string | null
        }
        SetofOptions: {
          from: "*"
          to: "calls"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      ignore_post: {
        Args: { p_post_id: number; p_reason: string }
        Returns: {
          caption: string | null
          classified_at: string | null
          classified_by: string | null
          cover_image_url: string | null
          create_time: string | null
          created_at: string
          detected_date: string | null
          detected_scope: string | null
          detected_zodiac: string | null
          duplicate_of: number | null
          duration_sec: number | null
          embed_link: string | null
          error: string | null
          horoscope_id: number | null
          id: number
          last_seen_at: string | null
          media_id: number | null
          post_id: string
          removed_at: string | null
          share_url: string | null
          source_media_id: number | null
          status: string
          title: string | null
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "tiktok_posts"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      place_order: {
        Args: {
          birth_date?: string
          birth_name?: string
          birth_place?: string
          birth_time?: string
          input_media_id?: number
          is_gold?: boolean
          question_text?: string
          scheduled_at?: string
          service_code: string
        }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      register_push_device: {
        Args: { app_version?: string; platform: string; token: string }
        Returns: {
          created_at: string
          id: number
          last_seen_at: string
          locale: string
        }[]
      }
      reject_horoscope: {
        Args: { p_id: number; p_reason: string }
        Returns: {
          approved_at: string | null
          approved_by: string | null
          audio_media_id: number | null
          created_at: string
          id: number
          ref_date: string
          rejected_at: string | null
          rejected_by: string | null
          rejected_reason: string | null
          scope: string
          text_content: string | null
          zodiac: string
        }
        SetofOptions: {
          from: "*"
          to: "horoscopes"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      reject_order: {
        Args: { p_order_id: number; p_reason: string }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      remove_push_device: { Args: { token: string }; Returns: boolean }
      request_phone_verification: {
        Args: { phone: string }
        Returns: {
          country: string | null
          created_at: string
          error_code: string | null
          id: number
          phone: string
          profile_id: string | null
          provider_ref: string | null
          status: string
          updated_at: string
        }
        SetofOptions: {
          from: "*"
          to: "phone_verifications"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      start_order: {
        Args: { p_order_id: number }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
      submit_order: {
        Args: { p_order_id: number; p_output_media_id: number }
        Returns: {
          archived_at: string | null
          assigned_reader: string | null
          birth_date: string | null
          birth_name: string | null
          birth_place: string | null
          birth_time: string | null
          created_at: string
          delivered_at: string | null
          id: number
          input_media_id: number | null
          is_gold: boolean
          output_media_id: number | null
          question_text: string | null
          scheduled_at: string | null
          service_id: number
          status: Database["public"]["Enums"]["order_status"]
          status_reason: string | null
          updated_at: string
          user_id: string
        }
        SetofOptions: {
          from: "*"
          to: "orders"
          isOneToOne: true
          isSetofReturn: false
        }
      }
    }
    Enums: {
      order_status:
        | "new"
        | "assigned"
        | "in_progress"
        | "awaiting_approval"
        | "approved"
        | "rejected"
        | "delivered"
        | "cancelled"
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    keyof DefaultSchema["Tables"] | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    keyof DefaultSchema["Tables"] | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    keyof DefaultSchema["Enums"] | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {
      order_status: [
        "new",
        "assigned",
        "in_progress",
        "awaiting_approval",
        "approved",
        "rejected",
        "delivered",
        "cancelled",
      ],
    },
  },
} as const

